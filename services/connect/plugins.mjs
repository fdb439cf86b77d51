/**
 * The connector plugins the Connect worker loads, one folder each under
 * `plugin.path` (Connect gives every folder its own class loader, so two
 * connectors never clash over a shared library's version).
 *
 * To add a connector, add an entry: `folder` is its name under plugin.path,
 * `artifacts` are Maven coordinates `group:artifact:version[:type[:classifier]]`.
 * A `tar.gz` or `zip` artifact (Debezium's `plugin` archives) is unpacked into
 * the folder without its top directory; a `jar` is copied in beside it (for a
 * library an archive lacks). Only the named artifacts are fetched, never their
 * Maven dependencies: a plugin archive already bundles what it needs.
 *
 * Versions matter (see SERVICES.md): Debezium 3.6.1.Final is served for the
 * PostgreSQL source, the JDBC sink only up to 3.6.0.Final. Both were built
 * against Kafka 4.3 and run in Connect 4.1. The Cassandra 5 source is pinned
 * at 3.3.1.Final (3.4.1 fails at start with a NullPointerException fixed only
 * in 3.6.0, not served) and needs jackson-datatype-jsr310 beside it: without
 * it the task shows RUNNING and silently emits nothing.
 */
export const plugins = [
  {
    folder: 'debezium-connector-postgres',
    artifacts: ['io.debezium:debezium-connector-postgres:3.6.1.Final:tar.gz:plugin'],
  },
  {
    folder: 'debezium-connector-jdbc',
    artifacts: ['io.debezium:debezium-connector-jdbc:3.6.0.Final:tar.gz:plugin'],
  },
  {
    folder: 'debezium-connector-cassandra-5',
    artifacts: [
      'io.debezium:debezium-connector-cassandra-5:3.3.1.Final:tar.gz:plugin',
      'com.fasterxml.jackson.datatype:jackson-datatype-jsr310:2.19.0',
    ],
  },
]
