package dev.lineup.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A table for people: a header row and aligned columns, "-" for nothing. */
final class Table {

  private final List<String[]> rows = new ArrayList<>();
  private final int columns;

  Table(String... headers) {
    this.columns = headers.length;
    rows.add(headers);
  }

  Table row(Object... cells) {
    String[] row = new String[columns];
    for (int i = 0; i < columns; i++) {
      Object cell = i < cells.length ? cells[i] : null;
      row[i] = cell == null ? "-" : oneLine(cell.toString());
    }
    rows.add(row);
    return this;
  }

  /** A row of the given fields of a JSON object. */
  Table row(JsonNode node, String... fields) {
    return row(Arrays.stream(fields).map(f -> Json.text(node, f)).toArray());
  }

  int size() {
    return rows.size() - 1;
  }

  void print(PrintWriter out) {
    int[] widths = new int[columns];
    for (String[] row : rows) {
      for (int i = 0; i < columns; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < columns; i++) {
        line.append(row[i]);
        if (i < columns - 1) {
          line.append(" ".repeat(widths[i] - row[i].length() + 2));
        }
      }
      out.println(line.toString().stripTrailing());
    }
  }

  /** A record as "field: value" lines, in the order the service sent them. */
  static void printFields(PrintWriter out, JsonNode node) {
    int width = 0;
    for (var names = node.fieldNames(); names.hasNext(); ) {
      width = Math.max(width, names.next().length());
    }
    for (var fields = node.fields(); fields.hasNext(); ) {
      var field = fields.next();
      String value =
          field.getValue().isNull()
              ? "-"
              : field.getValue().isValueNode()
                  ? field.getValue().asText()
                  : Json.write(field.getValue());
      out.println(
          field.getKey() + ":" + " ".repeat(width - field.getKey().length() + 1) + oneLine(value));
    }
  }

  /** Output and text from hosts may hold line breaks and control characters: not in a table. */
  private static String oneLine(String text) {
    StringBuilder clean = new StringBuilder(text.length());
    text.codePoints().forEach(c -> clean.appendCodePoint(Character.isISOControl(c) ? ' ' : c));
    String line = clean.toString();
    return line.length() <= 200 ? line : line.substring(0, 200) + "...";
  }
}
