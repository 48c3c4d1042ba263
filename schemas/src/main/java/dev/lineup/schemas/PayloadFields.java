package dev.lineup.schemas;

import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;

/**
 * A payload record as JSON-ready fields: strings, numbers, booleans, lowercase enum symbols and
 * base64 bytes, under the same names as in the HTTP API (payload field names are the JSON ones by
 * design). Null fields are left out.
 */
public final class PayloadFields {

  private PayloadFields() {}

  public static Map<String, Object> of(SpecificRecord record) {
    Map<String, Object> fields = new LinkedHashMap<>();
    for (Schema.Field field : record.getSchema().getFields()) {
      Object value = record.get(field.pos());
      if (value == null) {
        continue;
      }
      if (value instanceof ByteBuffer bytes) {
        ByteBuffer copy = bytes.duplicate();
        byte[] raw = new byte[copy.remaining()];
        copy.get(raw);
        value = Base64.getEncoder().encodeToString(raw);
      } else if (value instanceof Enum<?> symbol) {
        value = symbol.name().toLowerCase(Locale.ROOT);
      } else if (value instanceof CharSequence text) {
        value = text.toString();
      }
      fields.put(field.name(), value);
    }
    return fields;
  }
}
