package dev.lineup.intake.workflow;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.lineup.avro.Activity;
import dev.lineup.intake.admission.BatchAdmission;
import dev.lineup.intake.api.EnqueueRequest;
import dev.lineup.intake.validation.ActivityValidator;
import dev.lineup.intake.validation.FieldErrors;
import dev.lineup.service.problem.ApiException;
import dev.lineup.service.problem.Problem;
import io.micronaut.context.annotation.Value;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.Put;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.json.JsonMapper;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.serde.annotation.Serdeable;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.io.IOException;
import java.net.URI;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Workflow templates (CONTRACT.md, Workflows): named, versioned definitions of steps with inputs; a
 * run expands one into one atomic batch, each host's steps linked by their dependencies and pinned
 * to the version it ran.
 */
@Controller("/v1/workflows")
@ExecuteOn(TaskExecutors.BLOCKING)
@Tag(name = "workflows")
@ApiResponse(
    responseCode = "401",
    description = "No bearer token, or one that is not known (`WWW-Authenticate: Bearer`).",
    content =
        @Content(
            mediaType = Problem.CONTENT_TYPE,
            schema = @Schema(implementation = Problem.class)))
@ApiResponse(
    responseCode = "429",
    description = "The token's (or the address's) request rate is used up; see `Retry-After`.",
    content =
        @Content(
            mediaType = Problem.CONTENT_TYPE,
            schema = @Schema(implementation = Problem.class)))
@ApiResponse(
    responseCode = "503",
    description = "Kafka or PostgreSQL is away; send the same request again (`Retry-After`).",
    content =
        @Content(
            mediaType = Problem.CONTENT_TYPE,
            schema = @Schema(implementation = Problem.class)))
public final class WorkflowController {

  /** The latest version of every workflow. */
  @Serdeable
  @JsonInclude(JsonInclude.Include.ALWAYS)
  public record WorkflowList(List<WorkflowView> workflows) {}

  private final Workflows workflows;
  private final ActivityValidator validator;
  private final BatchAdmission admission;
  private final JsonMapper json;
  private final int maxBatch;

  public WorkflowController(
      Workflows workflows,
      ActivityValidator validator,
      BatchAdmission admission,
      JsonMapper json,
      @Value("${lineup.intake.limits.batch-size}") int maxBatch) {
    this.workflows = workflows;
    this.validator = validator;
    this.admission = admission;
    this.json = json;
    this.maxBatch = maxBatch;
  }

  @Put("/{name}")
  @Operation(
      operationId = "putWorkflow",
      summary = "Store a new version of a workflow",
      description =
          "Role: operator. Checks the definition (step names, types, dependencies, cycles, the"
              + " inputs its `${inputs.x}` name; a step without placeholders is validated as an"
              + " enqueue) and stores it as the next version. The same definition as the latest"
              + " version answers that version (200).")
  @ApiResponse(
      responseCode = "201",
      description = "A new version.",
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = WorkflowView.class)))
  @ApiResponse(
      responseCode = "200",
      description = "The same as the latest version: nothing stored.",
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = WorkflowView.class)))
  @ApiResponse(
      responseCode = "400",
      description = "Invalid: every problem is named in `errors` (`steps[i].field`).",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "403",
      description = "The token's role is below operator.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  public HttpResponse<WorkflowView> put(
      @Parameter(
              description = "1 to 128 letters, digits, '.', '_' or '-'.",
              example = "decommission")
          @PathVariable
          String name,
      @Body WorkflowRequest body)
      throws Exception {
    FieldErrors errors = new FieldErrors();
    if (!WorkflowTemplate.WORKFLOW_NAME.matcher(name).matches()) {
      errors.add("name", "must be 1 to 128 letters, digits, '.', '_' or '-'");
    }
    if (body == null) {
      errors.add("", "a JSON body is required");
      errors.throwIfAny();
    }
    String description = errors.text("description", body.description(), 1_024);
    WorkflowTemplate template = WorkflowTemplate.parse(body.inputs(), body.steps(), errors);
    if (template != null) {
      Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
      for (WorkflowTemplate.Step step : template.inDependencyOrder()) {
        if (!WorkflowTemplate.hasPlaceholders(step.fields())) {
          // Checked as an enqueue on a stand-in host: placeholders wait for the run.
          checkStep("workflow-check", step, step.fields(), now, errors);
        }
      }
    }
    errors.throwIfAny();
    Map<String, Object> definition = new LinkedHashMap<>();
    definition.put("description", description);
    definition.put("inputs", template.inputs());
    definition.put("steps", body.steps());
    Workflows.Stored stored = workflows.store(name, definition);
    WorkflowView view = view(stored.version());
    return stored.created()
        ? HttpResponse.created(
            view, URI.create("/v1/workflows/" + name + "?version=" + view.version()))
        : HttpResponse.ok(view);
  }

  @Get("/{name}")
  @Operation(
      operationId = "getWorkflow",
      summary = "Read a workflow",
      description = "Role: observer. The latest version, or the one `version` names.")
  @ApiResponse(responseCode = "200", description = "The version.")
  @ApiResponse(
      responseCode = "404",
      description = "No such workflow, or no such version of it.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  public WorkflowView get(
      @PathVariable String name,
      @Parameter(description = "A version; default the latest.") @Nullable @QueryValue
          Integer version)
      throws Exception {
    return view(stored(name, version));
  }

  @Get
  @Operation(
      operationId = "listWorkflows",
      summary = "List workflows",
      description = "Role: observer. The latest version of each, by name.")
  @ApiResponse(responseCode = "200", description = "The workflows.")
  public WorkflowList list() throws Exception {
    return new WorkflowList(workflows.latest().stream().map(this::view).toList());
  }

  @Post("/{name}/runs")
  @Operation(
      operationId = "runWorkflow",
      summary = "Run a workflow on hosts",
      description =
          "Role: operator. Expands the version (default the latest) for every host, with every"
              + " `${inputs.x}` replaced, into one atomic batch: each host's steps depend on each"
              + " other as the steps say, so a step that does not succeed cancels its dependents."
              + " Follow it with `GET /v1/batches/{batch_id}`.")
  @ApiResponse(
      responseCode = "202",
      description = "Accepted: the batch and the version it runs.",
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = RunView.class)))
  @ApiResponse(
      responseCode = "400",
      description =
          "A missing or undeclared input, an invalid host id, too many activities for one batch,"
              + " or a step invalid once its inputs are in (`steps[i].field`).",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "403",
      description = "The token's role is below operator.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "404",
      description = "No such workflow, or no such version of it.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  public HttpResponse<RunView> run(@PathVariable String name, @Body RunRequest body)
      throws Exception {
    FieldErrors errors = new FieldErrors();
    if (body == null) {
      errors.add("", "a JSON body is required");
      errors.throwIfAny();
    }
    Workflows.Version version = stored(name, body.version());
    WorkflowTemplate template = template(version);
    Map<String, String> inputs = inputs(template, body.inputs(), errors);
    List<String> hosts = body.hostIds() == null ? List.of() : body.hostIds();
    int steps = template.inDependencyOrder().size();
    if (hosts.isEmpty()) {
      errors.add("host_ids", "give at least one host");
    } else if ((long) hosts.size() * steps > maxBatch) {
      errors.add(
          "host_ids",
          hosts.size()
              + " hosts x "
              + steps
              + " steps is more than one batch holds ("
              + maxBatch
              + " activities)");
    }
    Set<String> distinct = new HashSet<>();
    for (int h = 0; h < hosts.size(); h++) {
      try {
        ActivityValidator.checkHostId(hosts.get(h));
        if (!distinct.add(hosts.get(h))) {
          errors.add("host_ids[" + h + "]", "appears twice");
        }
      } catch (ApiException e) {
        errors.add("host_ids[" + h + "]", "must be 1 to 255 characters without control characters");
      }
    }
    String runId = body.runId();
    if (runId != null && !ActivityValidator.isUuid(runId)) {
      errors.add("run_id", "must be a UUID");
    }
    errors.throwIfAny();

    // A named run's ids are its own: sent again, every claim is a resend, and the batch it made
    // is the answer (BatchAdmission), not a second run on every host.
    String batchId = runId != null ? runId : UUID.randomUUID().toString();
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    List<Activity> activities = new ArrayList<>();
    List<Boolean> preempts = new ArrayList<>();
    // The inputs are the same on every host: each step is expanded once.
    Map<String, Map<String, Object>> expanded = new LinkedHashMap<>();
    for (WorkflowTemplate.Step step : template.inDependencyOrder()) {
      try {
        expanded.put(step.name(), WorkflowTemplate.substitute(step.fields(), inputs));
      } catch (WorkflowTemplate.TooLarge e) {
        errors.add("steps[" + step.index() + "]", e.getMessage());
      }
    }
    errors.throwIfAny();
    for (String host : hosts) {
      Map<String, String> ids = new LinkedHashMap<>();
      for (WorkflowTemplate.Step step : template.inDependencyOrder()) {
        ids.put(
            step.name(),
            runId == null
                ? UUID.randomUUID().toString()
                : UUID.nameUUIDFromBytes(
                        ("lineup-workflow-run:" + runId + ":" + host + ":" + step.name())
                            .getBytes(java.nio.charset.StandardCharsets.UTF_8))
                    .toString());
      }
      for (WorkflowTemplate.Step step : template.inDependencyOrder()) {
        Map<String, Object> fields = new LinkedHashMap<>(expanded.get(step.name()));
        fields.put("activity_id", ids.get(step.name()));
        fields.put("depends_on", step.dependsOn().stream().distinct().map(ids::get).toList());
        Activity activity = checkStep(host, step, fields, now, errors);
        // The same definition and inputs on every host: one host's errors say it all.
        errors.throwIfAny();
        activity.setBatchId(batchId);
        activities.add(activity);
        preempts.add(Boolean.TRUE.equals(fields.get("preempt")));
      }
    }
    var batch =
        admission.admit(
            batchId, activities, preempts, "workflow-run:" + batchId + ":" + UUID.randomUUID());
    return HttpResponse.accepted()
        .body(
            new RunView(batch.batchId(), name, version.version(), hosts.size(), activities.size()));
  }

  /** The activity {@code fields} describe on {@code host}; null with errors named in the step. */
  private Activity checkStep(
      String host,
      WorkflowTemplate.Step step,
      Map<String, Object> fields,
      Instant now,
      FieldErrors errors)
      throws java.sql.SQLException {
    String at = "steps[" + step.index() + "]";
    EnqueueRequest request;
    try {
      request = json.readValue(json.writeValueAsBytes(fields), EnqueueRequest.class);
    } catch (IOException | RuntimeException e) {
      errors.add(at, "has a field of the wrong type or form");
      return null;
    }
    try {
      return validator.validate(host, EnqueueRequest.draft(request), now);
    } catch (ApiException e) {
      List<Problem.FieldError> fieldErrors = e.problem().errors();
      if (e.status().getCode() >= 500) {
        throw e;
      }
      if (fieldErrors == null || fieldErrors.isEmpty()) {
        errors.add(at, e.getMessage());
      } else {
        for (Problem.FieldError f : fieldErrors) {
          // depends_on holds the run's ids here: name the step's own field.
          errors.add(
              at + "." + f.field().replaceFirst("^depends_on\\[\\d+]", "depends_on"), f.message());
        }
      }
      return null;
    }
  }

  /** A value for every declared input and for nothing else, each a string. */
  private static Map<String, String> inputs(
      WorkflowTemplate template, Map<String, Object> given, FieldErrors errors) {
    Map<String, Object> values = given == null ? Map.of() : given;
    Map<String, String> inputs = new LinkedHashMap<>();
    for (String input : template.inputs()) {
      Object value = values.get(input);
      if (value == null) {
        errors.add("inputs." + input, "is required");
      } else if (!(value instanceof String text)) {
        errors.add("inputs." + input, "must be a string");
      } else {
        inputs.put(input, text);
      }
    }
    for (String input : values.keySet()) {
      if (!template.inputs().contains(input)) {
        errors.add("inputs." + input, "is not an input of this workflow");
      }
    }
    return inputs;
  }

  private Workflows.Version stored(String name, Integer version) throws Exception {
    if (!WorkflowTemplate.WORKFLOW_NAME.matcher(name).matches()) {
      throw ApiException.notFound("workflow " + name);
    }
    return workflows
        .find(name, version)
        .orElseThrow(
            () ->
                ApiException.notFound(
                    "workflow " + name + (version == null ? "" : " version " + version)));
  }

  @SuppressWarnings("unchecked")
  private static WorkflowTemplate template(Workflows.Version version) {
    Map<String, Object> d = version.definition();
    FieldErrors errors = new FieldErrors();
    WorkflowTemplate template =
        WorkflowTemplate.parse(
            (List<String>) d.get("inputs"), (List<Map<String, Object>>) d.get("steps"), errors);
    if (template == null) {
      // Only checked definitions are stored.
      throw new IllegalStateException(
          "workflow " + version.name() + " version " + version.version() + " no longer parses");
    }
    return template;
  }

  @SuppressWarnings("unchecked")
  private WorkflowView view(Workflows.Version version) {
    Map<String, Object> d = version.definition();
    return new WorkflowView(
        version.name(),
        version.version(),
        (String) d.get("description"),
        (List<String>) d.get("inputs"),
        (List<Map<String, Object>>) d.get("steps"),
        version.createdAt());
  }
}
