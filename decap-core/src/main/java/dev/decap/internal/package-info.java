/**
 * Implementation details of decap-core that are not API and may change without notice: a small JSON parser
 * ({@link dev.decap.internal.MiniJson}), Python-compatible text primitives ({@link dev.decap.internal.PythonText},
 * {@link dev.decap.internal.Utf8}, {@link dev.decap.internal.HtmlUnescaper}) and the ftfy subset
 * ({@link dev.decap.internal.TextFixer}) behind CLIP's text cleaning.
 */
package dev.decap.internal;
