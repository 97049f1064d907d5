/**
 * DeCap on Apache Spark ({@code decap-spark}; Spark 4 for Scala 2.13 on Java 17, {@code provided}).
 *
 * <ul>
 *   <li>{@link dev.decap.spark.DecapSpark#caption} captions a Dataset of images (Spark's {@code binaryFile}
 *       source, or any Dataset with a path or binary column) in batches per partition, with a captioner that each
 *       executor JVM loads once and shares between its tasks; bad images become error rows and are counted.</li>
 *   <li>{@link dev.decap.spark.DecapSpark#buildMemory} deduplicates and encodes a caption corpus in parallel and
 *       commits a sharded memory bank (shard files plus {@code manifest.json}) that opens as one bank, gives the
 *       projections of the single-file bank of {@code decap memory build}, and survives task retries and
 *       speculative execution.</li>
 *   <li>{@link dev.decap.spark.DecapSparkMain} is the {@code decap-spark} command for both, locally (the launcher
 *       script the build writes) and under {@code spark-submit}.</li>
 * </ul>
 *
 * <p>See {@code docs/spark.md} for running it locally and on a cluster, and for the cost model.
 */
package dev.decap.spark;
