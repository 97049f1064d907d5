/** Not API: executor-side state of decap-spark (the per-JVM, reference-counted holder of loaded models). */
package dev.decap.spark.internal;
