package dev.leaderelection.examples.snippets;

/** What the migration snippets call: stand-ins for the application's own work. */
abstract class MigrationWork {
  void startWork() {}

  void startWork(long fencingToken) {}

  void stopWork() {}

  void log(String message) {}
}
