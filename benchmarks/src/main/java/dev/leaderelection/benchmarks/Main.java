package dev.leaderelection.benchmarks;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Entry point.
 *
 * <pre>
 * java -jar benchmarks.jar all [--quick] [--only handover,crash,startup,api,chaos,ha,footprint]
 * java -jar benchmarks.jar report            # rewrite docs/benchmarks.md from benchmarks/results
 * java -jar benchmarks.jar candidate --impl ours|ours-cj|fabric8|official --url U --token T --identity I
 * java -jar benchmarks.jar footprint-child --impl ours --n 100 --seconds 600 --url U --token T
 * </pre>
 */
public final class Main {
  private Main() {}

  /**
   * Runs a subcommand.
   *
   * @param argv the subcommand and its {@code --key value} options
   * @throws Exception if it fails
   */
  public static void main(String[] argv) throws Exception {
    if (argv.length == 0) {
      System.err.println(
          "usage: all [--quick] [--only sections] | report | candidate ... | footprint-child ...");
      System.exit(64);
    }
    Map<String, String> args = new LinkedHashMap<>();
    for (int i = 1; i < argv.length; i++) {
      String a = argv[i];
      if (!a.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument " + a);
      }
      String key = a.substring(2);
      if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) {
        args.put(key, argv[++i]);
      } else {
        args.put(key, "true");
      }
    }
    switch (argv[0]) {
      case "candidate" -> Candidate.main(args);
      case "footprint-child" -> Footprint.main(args);
      case "all" -> Run.all(args, String.join(" ", argv));
      case "report" -> Report.write(Run.resultsDir(args), Run.docsDir(args));
      default -> {
        System.err.println("unknown subcommand " + argv[0]);
        System.exit(64);
      }
    }
  }
}
