package dev.lineup.intake.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lineup.avro.Activity;
import dev.lineup.avro.MdmCommandPayload;
import dev.lineup.intake.content.ContentStore;
import dev.lineup.service.problem.ApiException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * An MDM command's {@code command_uuid} is the one its device will acknowledge: given, or taken
 * from the raw plist's CommandUUID; never made up, since no device would ever name a made-up one.
 */
class MdmCommandUuidTest {

  // MDM payloads never touch the content store.
  private final ActivityValidator validator =
      new ActivityValidator(new ContentStore(null), 65_536, 1_048_576);

  private static String plist(String dict) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        + "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\""
        + " \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
        + "<plist version=\"1.0\"><dict><key>Command</key><dict><key>RequestType</key>"
        + "<string>RestartDevice</string></dict>"
        + dict
        + "</dict></plist>";
  }

  private Activity enqueue(String commandUuid, String rawCommand) throws Exception {
    Map<String, Object> payload = new HashMap<>();
    payload.put("platform", "apple");
    payload.put("request_type", "RestartDevice");
    payload.put(
        "raw_command",
        Base64.getEncoder().encodeToString(rawCommand.getBytes(StandardCharsets.UTF_8)));
    if (commandUuid != null) {
      payload.put("command_uuid", commandUuid);
    }
    return validator.validate(
        "mac-1",
        new ActivityDraft(
            null,
            ActivityDraft.Given.text("mdm_command"),
            payload,
            null,
            null,
            List.of(),
            null,
            null,
            null,
            null,
            null),
        Instant.now());
  }

  private static String commandUuidOf(Activity activity) {
    return ((MdmCommandPayload) activity.getPayload()).getCommandUuid();
  }

  private static List<String> fieldsOf(ApiException e) {
    return e.problem().errors().stream().map(f -> f.field()).toList();
  }

  @Test
  void withoutCommandUuidTheRawPlistsCommandUuidIsTaken() throws Exception {
    String raw = plist("<key>CommandUUID</key><string>7D2C0E11-from-the-plist</string>");

    assertThat(commandUuidOf(enqueue(null, raw))).isEqualTo("7D2C0E11-from-the-plist");
  }

  @Test
  void aGivenCommandUuidThatTheRawPlistAgreesWithIsKept() throws Exception {
    String raw = plist("<key>CommandUUID</key><string>same</string>");

    assertThat(commandUuidOf(enqueue("same", raw))).isEqualTo("same");
  }

  @Test
  void withoutCommandUuidAndWithoutOneInTheRawCommandTheRequestNamesTheField() {
    for (String raw :
        List.of(
            plist("<key>Other</key><string>x</string>"),
            "<SyncML><SyncBody/></SyncML>",
            "bplist00 binary")) {
      assertThatThrownBy(() -> enqueue(null, raw))
          .as(raw)
          .isInstanceOfSatisfying(
              ApiException.class,
              e -> {
                assertThat(e.status().getCode()).isEqualTo(400);
                assertThat(fieldsOf(e)).containsExactly("payload.command_uuid");
              });
    }
  }

  @Test
  void aCommandUuidTheRawPlistContradictsIsRefused() {
    String raw = plist("<key>CommandUUID</key><string>inside</string>");

    assertThatThrownBy(() -> enqueue("given", raw))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> assertThat(fieldsOf(e)).containsExactly("payload.command_uuid"));
  }

  @Test
  void aPlistCommandUuidThatCouldNotBeStoredIsRefusedWithoutQuotingIt() {
    String raw = plist("<key>CommandUUID</key><string>" + "u".repeat(65) + "</string>");

    assertThatThrownBy(() -> enqueue(null, raw))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(fieldsOf(e)).containsExactly("payload.command_uuid");
              assertThat(e.problem().errors().get(0).message()).doesNotContain("uuu");
            });
  }
}
