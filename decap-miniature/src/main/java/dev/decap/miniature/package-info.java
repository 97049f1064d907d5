/**
 * The shipped miniature model: {@link dev.decap.miniature.Miniature#captioner()} gives a ready captioner for the
 * miniature world ({@code docs/miniature-world.md}) from the classpath, with no path and no download.
 */
package dev.decap.miniature;
