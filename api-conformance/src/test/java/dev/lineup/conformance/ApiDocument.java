package dev.lineup.conformance;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One of Lineup's OpenAPI documents, parsed by swagger-parser, with its operations by key ({@code
 * "POST /v1/batches"}). The services' jars carry the documents their builds generated, at {@code
 * META-INF/swagger/<name>}; the running services serve the same files at {@code /openapi/<name>}.
 */
record ApiDocument(String name, OpenAPI openApi, List<String> messages) {

  static final String INTAKE = "lineup-intake-1.yml";
  static final String GATEWAY = "lineup-gateway-1.yml";
  static final String PROBLEM_JSON = "application/problem+json";
  static final String PROBLEM_SCHEMA = "#/components/schemas/Problem";

  /** The document as the build generated it, from the service's jar. */
  static ApiDocument generated(String name) throws IOException {
    try (InputStream in =
        ApiDocument.class.getClassLoader().getResourceAsStream("META-INF/swagger/" + name)) {
      if (in == null) {
        // micronaut-openapi writes the document on a full compile only: a module that maven
        // recompiled because a dependency changed loses it (seen with 6.19). `mvn clean` restores.
        throw new AssertionError(
            "no META-INF/swagger/"
                + name
                + " on the classpath: build with `mvn clean verify` (an incremental recompile of"
                + " the service drops the generated document)");
      }
      return parse(name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  static ApiDocument parse(String name, String text) {
    ParseOptions options = new ParseOptions();
    // Keep $refs as they are: the checks look at what the document says, reference by reference.
    options.setResolve(false);
    var result = new OpenAPIV3Parser().readContents(text, null, options);
    if (result.getOpenAPI() == null) {
      throw new AssertionError(name + " does not parse: " + result.getMessages());
    }
    List<String> messages = result.getMessages() == null ? List.of() : result.getMessages();
    return new ApiDocument(name, result.getOpenAPI(), messages);
  }

  /** Every operation, by {@code "METHOD /path"}, sorted. */
  Map<String, Operation> operations() {
    Map<String, Operation> operations = new TreeMap<>();
    openApi
        .getPaths()
        .forEach(
            (path, item) -> {
              for (Map.Entry<PathItem.HttpMethod, Operation> e :
                  item.readOperationsMap().entrySet()) {
                operations.put(e.getKey() + " " + path, e.getValue());
              }
            });
    return operations;
  }

  /** The response a document gives for an operation's status, or null if it documents none. */
  ApiResponse response(String operation, int status) {
    Operation op = operations().get(operation);
    return op == null ? null : op.getResponses().get(Integer.toString(status));
  }

  /** The component schema a {@code $ref} names, or the schema itself. */
  Schema<?> resolve(Schema<?> schema) {
    if (schema != null && schema.get$ref() != null) {
      String ref = schema.get$ref();
      return openApi.getComponents().getSchemas().get(ref.substring(ref.lastIndexOf('/') + 1));
    }
    return schema;
  }
}
