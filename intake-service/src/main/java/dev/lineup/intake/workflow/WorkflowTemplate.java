package dev.lineup.intake.workflow;

import dev.lineup.avro.ActivityType;
import dev.lineup.intake.validation.FieldErrors;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A workflow's definition, checked: its inputs, and its steps with their dependencies by step name,
 * in an order where every step comes after those it depends on. Checking names every problem as the
 * request does ({@code steps[1].depends_on[0]}); expanding replaces {@code ${inputs.x}} in every
 * string of a step. No I/O: what the activity validator says of a step is the controller's part.
 */
final class WorkflowTemplate {

  static final Pattern WORKFLOW_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  static final Pattern INPUT_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");
  static final Pattern STEP_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  /** Only this form is a placeholder: a script's own {@code ${HOME}} is left alone. */
  static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{inputs\\.([^}]*)}");

  static final int MAX_STEPS = 100;
  static final int MAX_INPUTS = 50;

  /** Fields a step may not set: each run makes its ids, and the host is the run's. */
  private static final Set<String> NOT_IN_A_STEP = Set.of("activity_id", "host_id");

  /** A step: its place in the definition, name, dependencies, and its enqueue fields. */
  record Step(int index, String name, List<String> dependsOn, Map<String, Object> fields) {}

  private final List<String> inputs;
  private final List<Step> inOrder;

  private WorkflowTemplate(List<String> inputs, List<Step> inOrder) {
    this.inputs = inputs;
    this.inOrder = inOrder;
  }

  List<String> inputs() {
    return inputs;
  }

  /** The steps, each after every step it depends on. */
  List<Step> inDependencyOrder() {
    return inOrder;
  }

  /** The template a definition describes; null, with every problem in {@code errors}, if none. */
  static WorkflowTemplate parse(
      List<String> givenInputs, List<Map<String, Object>> givenSteps, FieldErrors errors) {
    List<String> inputs = givenInputs == null ? List.of() : givenInputs;
    Set<String> declared = new HashSet<>();
    if (inputs.size() > MAX_INPUTS) {
      errors.add("inputs", "at most " + MAX_INPUTS + " inputs");
    }
    for (int i = 0; i < inputs.size(); i++) {
      String input = inputs.get(i);
      if (input == null || !INPUT_NAME.matcher(input).matches()) {
        errors.add("inputs[" + i + "]", "must be a name of letters, digits and _ (1 to 64)");
      } else if (!declared.add(input)) {
        errors.add("inputs[" + i + "]", "appears twice");
      }
    }
    if (givenSteps == null || givenSteps.isEmpty() || givenSteps.size() > MAX_STEPS) {
      errors.add("steps", "give 1 to " + MAX_STEPS + " steps");
      return null;
    }
    List<Step> steps = new ArrayList<>();
    Map<String, Step> byName = new HashMap<>();
    for (int i = 0; i < givenSteps.size(); i++) {
      Step step = step(i, givenSteps.get(i), declared, errors);
      if (step != null) {
        steps.add(step);
        if (byName.putIfAbsent(step.name(), step) != null) {
          errors.add("steps[" + i + "].name", "another step is named " + step.name());
        }
      }
    }
    for (Step step : steps) {
      for (int d = 0; d < step.dependsOn().size(); d++) {
        String dependency = step.dependsOn().get(d);
        if (!byName.containsKey(dependency)) {
          errors.add(
              "steps[" + step.index() + "].depends_on[" + d + "]",
              "no step is named " + dependency);
        } else if (dependency.equals(step.name())) {
          errors.add(
              "steps[" + step.index() + "].depends_on[" + d + "]",
              "a step cannot depend on itself");
        }
      }
    }
    if (!errors.isEmpty()) {
      return null;
    }
    List<Step> ordered = dependencyOrder(steps, byName);
    if (ordered.size() < steps.size()) {
      Set<String> inCycle = new TreeSet<>();
      steps.stream().filter(s -> !ordered.contains(s)).forEach(s -> inCycle.add(s.name()));
      errors.add("steps", "the dependencies go round in a cycle through " + inCycle);
      return null;
    }
    return new WorkflowTemplate(List.copyOf(inputs), ordered);
  }

  private static Step step(
      int i, Map<String, Object> given, Set<String> declared, FieldErrors errors) {
    String at = "steps[" + i + "]";
    if (given == null) {
      errors.add(at, "must be a step");
      return null;
    }
    Object name = given.get("name");
    if (!(name instanceof String n) || !STEP_NAME.matcher(n).matches()) {
      errors.add(at + ".name", "must be 1 to 64 letters, digits, '.', '_' or '-'");
      return null;
    }
    Object type = given.get("type");
    if (!(type instanceof String t) || !knownType(t)) {
      errors.add(
          at + ".type", "must be an activity type (script_run, software_install, lock, ...)");
    }
    for (String field : NOT_IN_A_STEP) {
      if (given.containsKey(field)) {
        errors.add(at + "." + field, "a run sets it; leave it out");
      }
    }
    List<String> dependsOn = new ArrayList<>();
    Object deps = given.get("depends_on");
    if (deps != null) {
      if (!(deps instanceof List<?> list)) {
        errors.add(at + ".depends_on", "must be a list of step names");
      } else {
        for (int d = 0; d < list.size(); d++) {
          if (list.get(d) instanceof String dependency) {
            dependsOn.add(dependency);
          } else {
            errors.add(at + ".depends_on[" + d + "]", "must be a step name");
          }
        }
      }
    }
    Map<String, Object> fields = new LinkedHashMap<>(given);
    fields.remove("name");
    fields.remove("depends_on");
    placeholders(fields, at, declared, errors);
    return new Step(i, n, List.copyOf(dependsOn), fields);
  }

  private static boolean knownType(String type) {
    try {
      ActivityType t = ActivityType.valueOf(type.toUpperCase(Locale.ROOT));
      return t != ActivityType.UNKNOWN_TYPE;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** Names every placeholder of an input the definition does not declare. */
  private static void placeholders(
      Object value, String at, Set<String> declared, FieldErrors errors) {
    if (value instanceof String text) {
      Matcher m = PLACEHOLDER.matcher(text);
      while (m.find()) {
        if (!declared.contains(m.group(1))) {
          errors.add(at, "${inputs." + m.group(1) + "} names no declared input");
        }
      }
    } else if (value instanceof Map<?, ?> map) {
      map.forEach((k, v) -> placeholders(v, at + "." + k, declared, errors));
    } else if (value instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        placeholders(list.get(i), at + "[" + i + "]", declared, errors);
      }
    }
  }

  /** Whether a step's fields hold a placeholder (then it is checked whole only at run time). */
  static boolean hasPlaceholders(Object value) {
    if (value instanceof String text) {
      return PLACEHOLDER.matcher(text).find();
    } else if (value instanceof Map<?, ?> map) {
      return map.values().stream().anyMatch(WorkflowTemplate::hasPlaceholders);
    } else if (value instanceof List<?> list) {
      return list.stream().anyMatch(WorkflowTemplate::hasPlaceholders);
    }
    return false;
  }

  /**
   * What one step may grow to once its inputs are in, in characters: a run's request is at most 2
   * MB, and a placeholder repeated many times must not turn a small request into gigabytes.
   */
  static final long MAX_EXPANDED_CHARS = 2L * 1024 * 1024;

  /** A step that would outgrow {@link #MAX_EXPANDED_CHARS} once its inputs are in. */
  static final class TooLarge extends Exception {
    TooLarge() {
      super("is over " + MAX_EXPANDED_CHARS + " characters once its inputs are in");
    }
  }

  /**
   * A step's fields with every {@code ${inputs.x}} in their strings replaced by the input's value;
   * {@link TooLarge} before anything that large is built.
   */
  @SuppressWarnings("unchecked")
  static Map<String, Object> substitute(Map<String, Object> fields, Map<String, String> inputs)
      throws TooLarge {
    long[] left = {MAX_EXPANDED_CHARS};
    return (Map<String, Object>) substitute(fields, inputs, left);
  }

  private static Object substitute(Object value, Map<String, String> inputs, long[] left)
      throws TooLarge {
    if (value instanceof String text) {
      Matcher m = PLACEHOLDER.matcher(text);
      long length = text.length();
      while (m.find()) {
        length += inputs.get(m.group(1)).length() - (m.end() - m.start());
      }
      left[0] -= length;
      if (left[0] < 0) {
        throw new TooLarge();
      }
      m.reset();
      StringBuilder out = new StringBuilder((int) length);
      while (m.find()) {
        m.appendReplacement(out, Matcher.quoteReplacement(inputs.get(m.group(1))));
      }
      m.appendTail(out);
      return out.toString();
    } else if (value instanceof Map<?, ?> map) {
      Map<Object, Object> copy = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        copy.put(e.getKey(), substitute(e.getValue(), inputs, left));
      }
      return copy;
    } else if (value instanceof List<?> list) {
      List<Object> copy = new ArrayList<>(list.size());
      for (Object v : list) {
        copy.add(substitute(v, inputs, left));
      }
      return copy;
    }
    return value;
  }

  /** Kahn's order: a step once every step it depends on is placed; a cycle leaves steps out. */
  private static List<Step> dependencyOrder(List<Step> steps, Map<String, Step> byName) {
    Map<String, Integer> waiting = new HashMap<>();
    Map<String, List<Step>> dependents = new HashMap<>();
    for (Step step : steps) {
      Set<String> distinct = new HashSet<>(step.dependsOn());
      waiting.put(step.name(), distinct.size());
      for (String dependency : distinct) {
        dependents.computeIfAbsent(dependency, k -> new ArrayList<>()).add(step);
      }
    }
    Deque<Step> ready = new ArrayDeque<>();
    steps.stream().filter(s -> waiting.get(s.name()) == 0).forEach(ready::add);
    List<Step> ordered = new ArrayList<>();
    while (!ready.isEmpty()) {
      Step step = ready.poll();
      ordered.add(step);
      for (Step dependent : dependents.getOrDefault(step.name(), List.of())) {
        if (waiting.merge(dependent.name(), -1, Integer::sum) == 0) {
          ready.add(dependent);
        }
      }
    }
    return ordered;
  }
}
