package dev.lineup.intake.validation;

import dev.lineup.avro.Activity;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.AppStoreInstallPayload;
import dev.lineup.avro.Initiator;
import dev.lineup.avro.InitiatorKind;
import dev.lineup.avro.Interpreter;
import dev.lineup.avro.Lane;
import dev.lineup.avro.LockPayload;
import dev.lineup.avro.MdmCommandPayload;
import dev.lineup.avro.Platform;
import dev.lineup.avro.ProfileInstallPayload;
import dev.lineup.avro.ProfileRemovePayload;
import dev.lineup.avro.RetryPolicy;
import dev.lineup.avro.ScriptRunPayload;
import dev.lineup.avro.SoftwareInstallPayload;
import dev.lineup.avro.SoftwareUninstallPayload;
import dev.lineup.avro.Via;
import dev.lineup.avro.WipePayload;
import dev.lineup.intake.content.ContentStore;
import dev.lineup.schemas.Channels;
import dev.lineup.schemas.Limits;
import dev.lineup.schemas.StoredText;
import dev.lineup.schemas.mdm.CommandPlist;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Turns an enqueue request, as either front door received it ({@link ActivityDraft}), into the
 * {@link Activity} of the contract, or a 400 that names every invalid field. Inline scripts move to
 * the content store here, so no script body ever reaches a topic.
 */
@Singleton
public final class ActivityValidator {

  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern APPLE_STORE_ID = Pattern.compile("[0-9]{1,20}");
  private static final int NAME = 255;

  // Rule 15: every field is bounded, so no value can overflow or wedge what reads it later (a
  // lease of 10^16 ms once overflowed the gateway's deadline arithmetic).
  static final long MIN_TIMEOUT_MS = Limits.MIN_LEASE.toMillis();
  static final long MAX_TIMEOUT_MS = Limits.MAX_LEASE.toMillis();
  static final int MAX_ATTEMPTS = 20;
  static final long MAX_BACKOFF_MS = Limits.MAX_BACKOFF.toMillis();
  static final double MAX_BACKOFF_MULTIPLIER = 10.0;
  static final int MAX_PRIORITY = 1_000_000;
  static final Duration MAX_NOT_BEFORE_AHEAD = Duration.ofDays(365);
  static final int MAX_KEY_LENGTH = 1_024;
  static final int MAX_DEPENDENCIES = 100;
  static final int MAX_COMMAND_UUID = 64;

  private final ContentStore contents;
  private final dev.lineup.intake.secret.SecretScan secrets;
  private final int maxInlinePayloadBytes;
  private final int maxScriptBytes;

  @jakarta.inject.Inject
  public ActivityValidator(
      ContentStore contents,
      dev.lineup.intake.secret.SecretScan secrets,
      @Value("${lineup.intake.limits.inline-payload-bytes}") int maxInlinePayloadBytes,
      @Value("${lineup.intake.limits.script-bytes}") int maxScriptBytes) {
    this.contents = contents;
    this.secrets = secrets;
    this.maxInlinePayloadBytes = maxInlinePayloadBytes;
    this.maxScriptBytes = maxScriptBytes;
  }

  /** Without the secrets check: for tests of the fields alone, with no database. */
  public ActivityValidator(ContentStore contents, int maxInlinePayloadBytes, int maxScriptBytes) {
    this(contents, null, maxInlinePayloadBytes, maxScriptBytes);
  }

  /**
   * A host id: 1 to 255 characters, an identifier ({@link StoredText}), and not the broadcast key.
   */
  public static void checkHostId(String hostId) {
    if (!Limits.isHostId(hostId)) {
      FieldErrors errors = new FieldErrors();
      errors.add(
          "host_id", "must be 1 to 255 characters without control characters, and not \"*\"");
      errors.throwIfAny();
    }
  }

  /**
   * The activity {@code body} describes for {@code hostId}, accepted at {@code acceptedAt}; a 400
   * naming every invalid field if it describes none ({@code body} null: a request without one).
   */
  public Activity validate(String hostId, ActivityDraft body, Instant acceptedAt)
      throws SQLException {
    checkHostId(hostId);
    FieldErrors errors = new FieldErrors();
    if (body == null) {
      errors.add("", "a JSON body is required");
      errors.throwIfAny();
    }
    String id = body.activityId() == null ? UUID.randomUUID().toString() : body.activityId();
    if (body.activityId() != null && !isUuid(body.activityId())) {
      errors.add("activity_id", "must be a UUID");
    }
    ActivityType type = errors.symbol(ActivityType.class, body.type(), "type", true);
    Map<String, Object> payload = body.payload() == null ? Map.of() : body.payload();
    if (body.payload() == null && type != null) {
      errors.add("payload", "is required");
    }
    Object typed = type == null || body.payload() == null ? null : payload(type, payload, errors);

    Lane lane = errors.symbol(Lane.class, body.lane(), "lane", false);
    if (type == ActivityType.MDM_QUERY) {
      lane = Lane.BYPASS;
    } else if (lane == Lane.BYPASS) {
      errors.add("lane", "only mdm_query runs in the bypass lane");
    }
    Instant notBefore = notBefore(body.notBefore(), acceptedAt, errors);
    if (body.priority() != null && Math.abs((long) body.priority()) > MAX_PRIORITY) {
      errors.add("priority", "must be -" + MAX_PRIORITY + " to " + MAX_PRIORITY);
    }
    List<String> dependsOn = body.dependsOn() == null ? List.of() : body.dependsOn();
    if (dependsOn.size() > MAX_DEPENDENCIES) {
      errors.add("depends_on", "at most " + MAX_DEPENDENCIES + " dependencies");
    }
    for (int i = 0; i < dependsOn.size(); i++) {
      if (dependsOn.get(i) == null || !isUuid(dependsOn.get(i))) {
        errors.add("depends_on[" + i + "]", "must be an activity id (UUID)");
      } else if (dependsOn.get(i).equals(id)) {
        errors.add("depends_on[" + i + "]", "an activity cannot depend on itself");
      }
    }
    String dedupeKey = errors.identifier("dedupe_key", body.dedupeKey(), MAX_KEY_LENGTH);
    RetryPolicy retry = retry(body.retry(), errors);
    if (body.timeoutMs() != null
        && (body.timeoutMs() < MIN_TIMEOUT_MS || body.timeoutMs() > MAX_TIMEOUT_MS)) {
      errors.add(
          "timeout_ms", "must be " + MIN_TIMEOUT_MS + " to " + MAX_TIMEOUT_MS + " (1 s to 7 days)");
    }
    Initiator initiator = initiator(body.initiator(), errors);
    errors.throwIfAny();

    Activity activity =
        Activity.newBuilder()
            .setActivityId(id)
            .setHostId(hostId)
            .setType(type)
            .setChannel(Channels.of(type, typed))
            .setLane(lane == null ? Lane.DEFAULT : lane)
            .setPriority(body.priority() == null ? 0 : body.priority())
            .setInitiator(initiator)
            .setDependsOn(List.copyOf(new LinkedHashSet<>(dependsOn)))
            .setNotBefore(notBefore)
            .setDedupeKey(dedupeKey)
            .setRetry(retry)
            .setTimeoutMs(body.timeoutMs())
            .setAcceptedAt(acceptedAt)
            .setPayload(typed)
            .build();
    if (secrets != null) {
      // Its scripts may name only secrets that exist (CONTRACT.md, Secrets).
      secrets.checkKnown(activity, errors);
      errors.throwIfAny();
    }
    return activity;
  }

  /**
   * The command UUID of a raw MDM command: the one given, or else the top-level CommandUUID of the
   * raw plist, the UUID its device will acknowledge. Results are matched by it, so it is never made
   * up (a made-up one, as before, named nothing the device would ever answer, and the gateway
   * refused such commands at delivery): with neither, and with a given one the plist contradicts,
   * the request names {@code command_uuid}. Errors never quote the plist.
   */
  private static String commandUuid(
      String given, byte[] rawCommand, String at, FieldErrors errors) {
    String inside;
    CommandPlist.Reason unreadable = null;
    try {
      inside = CommandPlist.commandUuid(rawCommand);
    } catch (CommandPlist.Unreadable e) {
      inside = null;
      unreadable = e.reason();
    }
    if (given != null) {
      if (inside != null && !inside.equals(given)) {
        errors.add(at + "command_uuid", "differs from the raw command's CommandUUID");
      }
      // A raw command that is not an XML plist (SyncML, a binary plist) cannot be checked here.
      return given;
    }
    if (inside == null) {
      errors.add(
          at + "command_uuid",
          "is required: the raw command "
              + switch (unreadable) {
                case MISSING -> "has no top-level CommandUUID to take it from";
                case AMBIGUOUS -> "names its CommandUUID more than once or not as a string";
                case NOT_ONE_DICT -> "is not a plist holding one dict";
                case NOT_A_PLIST -> "is not an XML plist naming its CommandUUID";
              });
      return null;
    }
    if (inside.isBlank()
        || inside.length() > MAX_COMMAND_UUID
        || !StoredText.isIdentifier(inside)) {
      errors.add(
          at + "command_uuid",
          "is required: the raw command's CommandUUID cannot be one (1 to "
              + MAX_COMMAND_UUID
              + " characters, no control characters)");
      return null;
    }
    return inside;
  }

  private Object payload(ActivityType type, Map<String, Object> p, FieldErrors errors)
      throws SQLException {
    String at = "payload.";
    return switch (type) {
      case MDM_COMMAND, MDM_QUERY -> {
        Platform platform =
            errors.symbol(
                Platform.class, errors.identifier(p, at, "platform", NAME), at + "platform", true);
        String requestType = errors.identifier(p, at, "request_type", NAME);
        String raw = errors.identifier(p, at, "raw_command", Integer.MAX_VALUE);
        byte[] command = null;
        if (raw != null) {
          try {
            command = Base64.getDecoder().decode(raw);
            if (command.length > maxInlinePayloadBytes) {
              throw new dev.lineup.service.problem.ApiException(
                  io.micronaut.http.HttpStatus.REQUEST_ENTITY_TOO_LARGE,
                  "Payload too large",
                  "payload.raw_command may be at most " + maxInlinePayloadBytes + " bytes");
            }
          } catch (IllegalArgumentException e) {
            errors.add(at + "raw_command", "must be base64");
          }
        }
        String uuid = errors.optionalIdentifier(p, at, "command_uuid", MAX_COMMAND_UUID);
        if (!errors.isEmpty()) {
          yield null;
        }
        uuid = commandUuid(uuid, command, at, errors);
        if (!errors.isEmpty()) {
          yield null;
        }
        yield MdmCommandPayload.newBuilder()
            .setPlatform(platform)
            .setCommandUuid(uuid)
            .setRequestType(requestType)
            .setRawCommand(ByteBuffer.wrap(command))
            .build();
      }
      case PROFILE_INSTALL -> {
        Platform platform =
            errors.symbol(
                Platform.class, errors.identifier(p, at, "platform", NAME), at + "platform", true);
        String identifier = errors.identifier(p, at, "profile_identifier", NAME);
        String sha = contentRef(p, at, "profile_sha256", true, errors);
        yield errors.isEmpty()
            ? ProfileInstallPayload.newBuilder()
                .setPlatform(platform)
                .setProfileIdentifier(identifier)
                .setProfileSha256(sha)
                .build()
            : null;
      }
      case PROFILE_REMOVE -> {
        Platform platform =
            errors.symbol(
                Platform.class, errors.identifier(p, at, "platform", NAME), at + "platform", true);
        String identifier = errors.identifier(p, at, "profile_identifier", NAME);
        yield errors.isEmpty()
            ? ProfileRemovePayload.newBuilder()
                .setPlatform(platform)
                .setProfileIdentifier(identifier)
                .build()
            : null;
      }
      case APP_STORE_INSTALL -> {
        Platform platform =
            errors.symbol(
                Platform.class, errors.identifier(p, at, "platform", NAME), at + "platform", true);
        String appId = errors.identifier(p, at, "app_store_id", NAME);
        if (platform == Platform.APPLE
            && appId != null
            && !APPLE_STORE_ID.matcher(appId).matches()) {
          // Apple's InstallApplication takes the store's number (apps.apple.com/app/id<number>).
          errors.add(at + "app_store_id", "an Apple App Store id is a number of 1 to 20 digits");
        }
        String bundle = errors.optionalIdentifier(p, at, "bundle_id", NAME);
        yield errors.isEmpty()
            ? AppStoreInstallPayload.newBuilder()
                .setPlatform(platform)
                .setAppStoreId(appId)
                .setBundleId(bundle)
                .build()
            : null;
      }
      case SCRIPT_RUN -> scriptRun(p, at, errors);
      case SOFTWARE_INSTALL -> {
        String installer = errors.identifier(p, at, "installer_id", NAME);
        String version = errors.identifier(p, at, "version", NAME);
        String download = errors.identifier(p, at, "download_ref", 2048);
        String installerSha = optionalSha(p, at, "installer_sha256", errors);
        String query = errors.optionalText(p, at, "pre_install_query", 64 * 1024);
        String install = contentRef(p, at, "install_script_sha256", false, errors);
        String post = contentRef(p, at, "post_install_script_sha256", false, errors);
        String uninstall = contentRef(p, at, "uninstall_script_sha256", false, errors);
        yield errors.isEmpty()
            ? SoftwareInstallPayload.newBuilder()
                .setInstallerId(installer)
                .setVersion(version)
                .setDownloadRef(download)
                .setInstallerSha256(installerSha)
                .setPreInstallQuery(query)
                .setInstallScriptSha256(install)
                .setPostInstallScriptSha256(post)
                .setUninstallScriptSha256(uninstall)
                .build()
            : null;
      }
      case SOFTWARE_UNINSTALL -> {
        String installer = errors.identifier(p, at, "installer_id", NAME);
        String version = errors.optionalIdentifier(p, at, "version", NAME);
        String uninstall = contentRef(p, at, "uninstall_script_sha256", false, errors);
        yield errors.isEmpty()
            ? SoftwareUninstallPayload.newBuilder()
                .setInstallerId(installer)
                .setVersion(version)
                .setUninstallScriptSha256(uninstall)
                .build()
            : null;
      }
      case LOCK -> {
        Via via =
            errors.symbol(
                Via.class, errors.optionalIdentifier(p, at, "via", NAME), at + "via", false);
        String message = errors.optionalText(p, at, "message", 1024);
        yield errors.isEmpty()
            ? LockPayload.newBuilder()
                .setVia(via == null ? Via.MDM : via)
                .setMessage(message)
                .build()
            : null;
      }
      case WIPE -> {
        Via via =
            errors.symbol(
                Via.class, errors.optionalIdentifier(p, at, "via", NAME), at + "via", false);
        boolean preserve = errors.optionalBoolean(p, at, "preserve_enrollment");
        yield errors.isEmpty()
            ? WipePayload.newBuilder()
                .setVia(via == null ? Via.MDM : via)
                .setPreserveEnrollment(preserve)
                .build()
            : null;
      }
      case UNKNOWN_TYPE -> null;
    };
  }

  private ScriptRunPayload scriptRun(Map<String, Object> p, String at, FieldErrors errors)
      throws SQLException {
    Object inline = p.get("script");
    Object reference = p.get("script_sha256");
    Interpreter interpreter =
        errors.symbol(
            Interpreter.class,
            errors.optionalIdentifier(p, at, "interpreter", NAME),
            at + "interpreter",
            false);
    Integer timeout = errors.optionalInt(p, at, "timeout_seconds");
    if (timeout != null && (timeout < 1 || timeout > MAX_TIMEOUT_MS / 1_000)) {
      errors.add(at + "timeout_seconds", "must be 1 to " + MAX_TIMEOUT_MS / 1_000 + " (7 days)");
    }
    String sha = null;
    if ((inline == null) == (reference == null)) {
      errors.add(at + "script", "give exactly one of script (inline) or script_sha256");
    } else if (inline != null) {
      String script = errors.text(p, at, "script", Integer.MAX_VALUE);
      if (script != null) {
        byte[] body = script.getBytes(StandardCharsets.UTF_8);
        if (body.length > maxScriptBytes) {
          throw new dev.lineup.service.problem.ApiException(
              io.micronaut.http.HttpStatus.REQUEST_ENTITY_TOO_LARGE,
              "Script too large",
              "an inline script may be at most " + maxScriptBytes + " bytes");
        }
        if (errors.isEmpty()) {
          sha = contents.put(body);
          if (secrets != null) {
            secrets.stored(sha, script);
          }
        }
      }
    } else {
      sha = contentRef(p, at, "script_sha256", true, errors);
    }
    return errors.isEmpty()
        ? ScriptRunPayload.newBuilder()
            .setScriptSha256(sha)
            .setInterpreter(interpreter == null ? Interpreter.SH : interpreter)
            .setTimeoutSeconds(timeout)
            .build()
        : null;
  }

  /** A reference to stored content: a SHA-256 the content store knows. */
  private String contentRef(
      Map<String, Object> p, String at, String name, boolean required, FieldErrors errors)
      throws SQLException {
    String sha =
        required ? errors.identifier(p, at, name, 64) : errors.optionalIdentifier(p, at, name, 64);
    if (sha == null) {
      return null;
    }
    if (!SHA256.matcher(sha).matches()) {
      errors.add(at + name, "must be a lowercase hex SHA-256");
      return null;
    }
    if (!contents.exists(sha)) {
      errors.add(at + name, "no content with this SHA-256 was stored (PUT /v1/contents)");
      return null;
    }
    return sha;
  }

  private static String optionalSha(
      Map<String, Object> p, String at, String name, FieldErrors errors) {
    String sha = errors.optionalIdentifier(p, at, name, 64);
    if (sha != null && !SHA256.matcher(sha).matches()) {
      errors.add(at + name, "must be a lowercase hex SHA-256");
      return null;
    }
    return sha;
  }

  private static RetryPolicy retry(ActivityDraft.Retry retry, FieldErrors errors) {
    if (retry == null) {
      return null;
    }
    int attempts = retry.maxAttempts() == null ? 1 : retry.maxAttempts();
    long backoff = retry.backoffMs() == null ? 0 : retry.backoffMs();
    double multiplier = retry.backoffMultiplier() == null ? 2.0 : retry.backoffMultiplier();
    if (attempts < 1 || attempts > MAX_ATTEMPTS) {
      errors.add("retry.max_attempts", "must be 1 to " + MAX_ATTEMPTS);
    }
    if (backoff < 0 || backoff > MAX_BACKOFF_MS) {
      errors.add("retry.backoff_ms", "must be 0 to " + MAX_BACKOFF_MS + " (1 day)");
    }
    // Written so that NaN (which a Kafka producer can send) fails too.
    if (!(multiplier >= 1.0 && multiplier <= MAX_BACKOFF_MULTIPLIER)) {
      errors.add("retry.backoff_multiplier", "must be 1 to 10");
    }
    return RetryPolicy.newBuilder()
        .setMaxAttempts(attempts)
        .setBackoffMs(backoff)
        .setBackoffMultiplier(multiplier)
        .build();
  }

  private static Initiator initiator(ActivityDraft.Initiator initiator, FieldErrors errors) {
    if (initiator == null) {
      return Initiator.newBuilder().setKind(InitiatorKind.SYSTEM).build();
    }
    InitiatorKind kind =
        errors.symbol(InitiatorKind.class, initiator.kind(), "initiator.kind", true);
    if (kind == InitiatorKind.USER && initiator.actorId() == null) {
      errors.add("initiator.actor_id", "is required for a user initiator");
    }
    // Copied into every event and row of the activity: bounded, and the name is the only free text.
    return Initiator.newBuilder()
        .setKind(kind == null ? InitiatorKind.SYSTEM : kind)
        .setActorId(errors.identifier("initiator.actor_id", initiator.actorId(), MAX_KEY_LENGTH))
        .setEmail(errors.identifier("initiator.email", initiator.email(), MAX_KEY_LENGTH))
        .setName(errors.text("initiator.name", initiator.name(), MAX_KEY_LENGTH))
        .setAvatarUrl(
            errors.identifier("initiator.avatar_url", initiator.avatarUrl(), MAX_KEY_LENGTH))
        .build();
  }

  /**
   * {@code not_before}: an RFC 3339 time at most a year after acceptance. Earlier than 1970 is
   * refused too: such a time means "now" anyway, and a year in the millions has no epoch
   * milliseconds to be written as.
   */
  private static Instant notBefore(
      ActivityDraft.Given<Instant> value, Instant acceptedAt, FieldErrors errors) {
    if (value == null) {
      return null;
    }
    Instant notBefore;
    if (value instanceof ActivityDraft.Given.Typed<Instant> typed) {
      notBefore = typed.value();
    } else {
      try {
        notBefore = Instant.parse(value.text());
      } catch (DateTimeParseException e) {
        errors.add("not_before", "must be an RFC 3339 time, e.g. 2026-11-24T10:00:00Z");
        return null;
      }
    }
    if (notBefore.isBefore(Instant.EPOCH)
        || notBefore.isAfter(acceptedAt.plus(MAX_NOT_BEFORE_AHEAD))) {
      errors.add("not_before", "must be from 1970 to at most one year ahead");
      return null;
    }
    return notBefore;
  }

  /** Whether {@code value} is a UUID in its canonical form (any case). */
  public static boolean isUuid(String value) {
    try {
      return UUID.fromString(value).toString().equalsIgnoreCase(value);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
