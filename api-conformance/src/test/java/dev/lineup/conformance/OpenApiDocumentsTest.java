package dev.lineup.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The OpenAPI documents the builds of intake and the gateway generate are valid and say what a
 * client needs: every operation has a summary, an id, its credential (or says it needs none) and
 * its errors as problem+json. The document is generated from the controllers' annotations, so a new
 * or changed endpoint without them fails here, before any service runs. ({@code redocly lint}
 * checks the same and more by hand: docs/OPERATIONS.md, API documents.)
 */
class OpenApiDocumentsTest {

  /**
   * Answers its checks as JSON, 200 or 503, and nothing else: it is never charged nor refused, so
   * load balancers can always read it.
   */
  private static final String HEALTH = "GET /health";

  @ParameterizedTest
  @ValueSource(strings = {ApiDocument.INTAKE, ApiDocument.GATEWAY})
  void theDocumentParsesWithoutAnyMessage(String name) throws Exception {
    ApiDocument document = ApiDocument.generated(name);

    assertThat(document.messages()).isEmpty();
    assertThat(document.openApi().getOpenapi()).startsWith("3.0.");
    assertThat(document.operations()).isNotEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {ApiDocument.INTAKE, ApiDocument.GATEWAY})
  void everyOperationHasASummaryAUniqueIdAndACredentialOrSaysItIsPublic(String name)
      throws Exception {
    ApiDocument document = ApiDocument.generated(name);
    List<SecurityRequirement> global = document.openApi().getSecurity();
    Set<String> schemes = document.openApi().getComponents().getSecuritySchemes().keySet();
    Set<String> ids = new HashSet<>();
    List<String> wrong = new ArrayList<>();

    for (Map.Entry<String, Operation> e : document.operations().entrySet()) {
      Operation op = e.getValue();
      if (op.getSummary() == null || op.getSummary().isBlank()) {
        wrong.add(e.getKey() + ": no summary");
      }
      if (op.getOperationId() == null || !ids.add(op.getOperationId())) {
        wrong.add(e.getKey() + ": no operationId, or one used twice: " + op.getOperationId());
      }
      // An empty requirement ({}) among them is how an operation says it is open.
      List<SecurityRequirement> security = op.getSecurity() != null ? op.getSecurity() : global;
      if (security == null || security.isEmpty()) {
        wrong.add(e.getKey() + ": no security requirement, and no {} saying it is public");
      } else {
        security.stream()
            .flatMap(r -> r.keySet().stream())
            .filter(scheme -> !schemes.contains(scheme))
            .forEach(scheme -> wrong.add(e.getKey() + ": undefined security scheme " + scheme));
      }
    }

    assertThat(wrong).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {ApiDocument.INTAKE, ApiDocument.GATEWAY})
  void everyErrorIsProblemJsonAndEveryOperationDocumentsA4xx(String name) throws Exception {
    ApiDocument document = ApiDocument.generated(name);
    List<String> wrong = new ArrayList<>();

    for (Map.Entry<String, Operation> e : document.operations().entrySet()) {
      if (e.getKey().equals(HEALTH)) {
        continue;
      }
      int clientErrors = 0;
      for (Map.Entry<String, ApiResponse> r : e.getValue().getResponses().entrySet()) {
        String where = e.getKey() + " " + r.getKey();
        int status = Integer.parseInt(r.getKey());
        ApiResponse response = r.getValue();
        if (response.getDescription() == null || response.getDescription().isBlank()) {
          wrong.add(where + ": no description");
        }
        if (status < 400) {
          continue;
        }
        clientErrors += status < 500 ? 1 : 0;
        Map<String, MediaType> content = response.getContent();
        if (content == null
            || !content.keySet().equals(Set.of(ApiDocument.PROBLEM_JSON))
            || !ApiDocument.PROBLEM_SCHEMA.equals(
                content.get(ApiDocument.PROBLEM_JSON).getSchema().get$ref())) {
          wrong.add(where + ": not application/problem+json with the Problem schema: " + content);
        }
      }
      if (clientErrors == 0) {
        wrong.add(e.getKey() + ": no 4xx response");
      }
    }

    assertThat(wrong).isEmpty();
    assertThat(document.operations()).containsKey(HEALTH);
  }

  @ParameterizedTest
  @ValueSource(strings = {ApiDocument.INTAKE, ApiDocument.GATEWAY})
  void everySuccessNamesItsSchemaAndEverySchemaPropertyIsSnakeCase(String name) throws Exception {
    ApiDocument document = ApiDocument.generated(name);
    List<String> wrong = new ArrayList<>();

    for (Map.Entry<String, Operation> e : document.operations().entrySet()) {
      e.getValue()
          .getResponses()
          .forEach(
              (status, response) -> {
                if (status.startsWith("2") && response.getContent() != null) {
                  response
                      .getContent()
                      .forEach(
                          (type, media) -> {
                            if (media.getSchema() == null) {
                              wrong.add(e.getKey() + " " + status + " " + type + ": no schema");
                            }
                          });
                }
              });
    }
    // The JSON is snake_case everywhere but in the host-level command answer, which keeps the
    // camelCase hostId it always had (docs/CONTRACT.md).
    for (Map.Entry<String, io.swagger.v3.oas.models.media.Schema> e :
        document.openApi().getComponents().getSchemas().entrySet()) {
      Map<String, ?> properties = e.getValue().getProperties();
      for (String property : properties == null ? Set.<String>of() : properties.keySet()) {
        boolean camelCaseByContract =
            e.getKey().equals("HostCommandAccepted") && property.equals("hostId");
        if (!property.equals(property.toLowerCase(java.util.Locale.ROOT)) && !camelCaseByContract) {
          wrong.add(e.getKey() + "." + property + " is not snake_case");
        }
        // OpenAPI 3.0 (redocly's nullable-type-sibling): `nullable` needs a `type` beside it, also
        // on a reference (allOf), or generators drop the property's nullability.
        var schema = (io.swagger.v3.oas.models.media.Schema<?>) properties.get(property);
        if (Boolean.TRUE.equals(schema.getNullable()) && schema.getType() == null) {
          wrong.add(e.getKey() + "." + property + " is nullable without a type");
        }
      }
    }

    assertThat(wrong).isEmpty();
  }
}
