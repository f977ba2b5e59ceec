package io.siyu.campaign;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * A parsed message template. Syntax: {@code {field}} or {@code {field|fallback}} for the fields in
 * {@link #FIELDS}, {@code {block:<name>}} for a named block, {@code {{} and {@code }}} for literal braces.
 * Hand-written because the syntax must refuse unknown names with a position at definition time, which
 * general template engines do not (they render unknown names as empty).
 */
final class Template {

  static final Set<String> FIELDS = Set.of("name", "level", "points", "expiringPoints", "expiringDate", "stage",
      "owner");
  static final int MAX_LENGTH = 2000;
  private static final Pattern BLOCK_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,39}");

  sealed interface Part permits Literal, Field, BlockRef {}

  record Literal(String text) implements Part {}

  /** @param fallback the inline fallback after {@code |}, or null */
  record Field(String name, String fallback) implements Part {}

  record BlockRef(String name) implements Part {}

  /** A template that cannot be parsed; {@code position} is the 0-based offset of the problem. */
  static final class TemplateException extends IllegalArgumentException {
    private final int position;

    TemplateException(int position, String reason) {
      super(reason + " at position " + position);
      this.position = position;
    }

    int position() {
      return position;
    }
  }

  private final List<Part> parts;

  private Template(List<Part> parts) {
    this.parts = List.copyOf(parts);
  }

  List<Part> parts() {
    return parts;
  }

  boolean uses(String field) {
    return parts.stream().anyMatch(p -> p instanceof Field f && f.name().equals(field));
  }

  List<String> blocks() {
    return parts.stream().filter(p -> p instanceof BlockRef).map(p -> ((BlockRef) p).name()).toList();
  }

  /** Parses; {@code allowBlocks} false for block texts (blocks do not nest). */
  static Template parse(String source, boolean allowBlocks) {
    if (source == null || source.isBlank()) {
      throw new TemplateException(0, "the template is empty");
    }
    if (source.length() > MAX_LENGTH) {
      throw new TemplateException(MAX_LENGTH, "the template is longer than " + MAX_LENGTH + " characters");
    }
    List<Part> parts = new ArrayList<>();
    StringBuilder lit = new StringBuilder();
    int i = 0;
    while (i < source.length()) {
      char c = source.charAt(i);
      if (c == '}') {
        if (i + 1 < source.length() && source.charAt(i + 1) == '}') {
          lit.append('}');
          i += 2;
          continue;
        }
        throw new TemplateException(i, "a lone '}' (write '}}' for a literal brace)");
      }
      if (c != '{') {
        lit.append(c);
        i++;
        continue;
      }
      if (i + 1 < source.length() && source.charAt(i + 1) == '{') {
        lit.append('{');
        i += 2;
        continue;
      }
      int end = source.indexOf('}', i);
      if (end < 0) {
        throw new TemplateException(i, "an unclosed '{'");
      }
      String inner = source.substring(i + 1, end);
      if (inner.indexOf('{') >= 0) {
        throw new TemplateException(i, "a '{' inside a placeholder");
      }
      if (!lit.isEmpty()) {
        parts.add(new Literal(lit.toString()));
        lit.setLength(0);
      }
      parts.add(placeholder(inner, i, allowBlocks));
      i = end + 1;
    }
    if (!lit.isEmpty()) {
      parts.add(new Literal(lit.toString()));
    }
    return new Template(parts);
  }

  private static Part placeholder(String inner, int at, boolean allowBlocks) {
    if (inner.startsWith("block:")) {
      String name = inner.substring(6);
      if (!allowBlocks) {
        throw new TemplateException(at, "blocks cannot contain {block:...}");
      }
      if (!BLOCK_NAME.matcher(name).matches()) {
        throw new TemplateException(at, "'" + name + "' is not a block name (a-z, 0-9, _ and -)");
      }
      return new BlockRef(name);
    }
    int bar = inner.indexOf('|');
    String name = bar < 0 ? inner : inner.substring(0, bar);
    String fallback = bar < 0 ? null : inner.substring(bar + 1);
    if (!FIELDS.contains(name)) {
      throw new TemplateException(at, "unknown placeholder {" + name + "}; known: " + new java.util.TreeSet<>(FIELDS)
          + " and {block:<name>}");
    }
    return new Field(name, fallback);
  }

  /**
   * The text for these values: a missing (null or blank) value takes the inline fallback, then
   * {@code fallbacks}, then "". {@code blocks} gives each block's rendered text.
   */
  String render(Map<String, String> values, Map<String, String> fallbacks, Function<String, String> blocks) {
    StringBuilder out = new StringBuilder();
    for (Part p : parts) {
      if (p instanceof Literal l) {
        out.append(l.text());
      } else if (p instanceof BlockRef b) {
        out.append(blocks.apply(b.name()));
      } else if (p instanceof Field f) {
        String v = values.get(f.name());
        if (v == null || v.isBlank()) {
          v = f.fallback() != null ? f.fallback() : fallbacks.getOrDefault(f.name(), "");
        }
        out.append(v);
      }
    }
    return out.toString();
  }
}
