package dev.lineup.cli;

import dev.lineup.schemas.TopicProvisioner;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.CommonClientConfigs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lineup topics ...}: Lineup's topics on a cluster. */
@Command(
    name = "topics",
    mixinStandardHelpOptions = true,
    description = "Lineup's topics on a Kafka cluster.",
    subcommands = {TopicsCommand.Provision.class})
final class TopicsCommand {

  /**
   * {@code lineup topics provision}: every topic Lineup uses, with one partition count; safe to run
   * on every deploy.
   */
  @Command(
      name = "provision",
      mixinStandardHelpOptions = true,
      description = {
        "Creates every Lineup topic that is missing, all with one partition count.",
        "Running it again changes nothing. It refuses, creating nothing, when an existing Lineup"
            + " topic has another partition count: that would split a host's records across"
            + " sequencer tasks."
      })
  static final class Provision implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin KafkaOptions kafka;

    @Option(
        names = "--partitions",
        paramLabel = "N",
        description =
            "Partitions of every topic (env LINEUP_TOPICS_PARTITIONS; default: 12)."
                + " The most sequencer tasks that can share the work; it cannot change later"
                + " without moving the data.")
    Integer partitions;

    @Option(
        names = "--replication-factor",
        paramLabel = "R",
        description =
            "Replicas of each partition (env LINEUP_TOPICS_REPLICATION_FACTOR; default: the"
                + " brokers' default.replication.factor). 3 in production.")
    Short replicationFactor;

    /** An option, else its variable in the run's environment, else the default. */
    private String setting(Object option, String variable, String otherwise) {
      if (option != null) {
        return option.toString();
      }
      String value = LineupCli.of(spec).env(variable);
      return value == null || value.isBlank() ? otherwise : value.strip();
    }

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      Map<String, Object> adminConfig = kafka.clientConfig();
      // A Job may start with the brokers: give them Kafka's default minute, not the CLI's 15 s.
      adminConfig.put(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, 60_000);
      Object bootstrapServers = adminConfig.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
      int partitions;
      short replicationFactor;
      try {
        partitions = Integer.parseInt(setting(this.partitions, "LINEUP_TOPICS_PARTITIONS", "12"));
        replicationFactor =
            Short.parseShort(
                setting(this.replicationFactor, "LINEUP_TOPICS_REPLICATION_FACTOR", "-1"));
      } catch (NumberFormatException e) {
        err.println(
            "LINEUP_TOPICS_PARTITIONS and LINEUP_TOPICS_REPLICATION_FACTOR must be whole numbers: "
                + e.getMessage());
        return LineupCli.MISUSED;
      }
      if (partitions < 1) {
        err.println("--partitions must be at least 1, not " + partitions);
        return 2;
      }
      if (replicationFactor == 0 || replicationFactor < -1) {
        err.println("--replication-factor must be at least 1 (or -1 for the brokers' default)");
        return 2;
      }
      try {
        var outcome = TopicProvisioner.provision(adminConfig, partitions, replicationFactor);
        outcome.created().forEach(t -> out.println("created " + t));
        outcome.existing().forEach(t -> out.println("exists  " + t));
        out.printf(
            "%d Lineup topics with %d partitions each: %d created, %d already there%n",
            outcome.created().size() + outcome.existing().size(),
            partitions,
            outcome.created().size(),
            outcome.existing().size());
        return 0;
      } catch (TopicProvisioner.PartitionMismatch e) {
        err.println("refused: " + e.getMessage());
        return LineupCli.REFUSED;
      } catch (ExecutionException e) {
        err.println("could not provision topics on " + bootstrapServers + ": " + e.getCause());
        return 1;
      }
    }
  }
}
