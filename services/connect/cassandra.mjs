import fs from 'node:fs'
import path from 'node:path'
import { servicePaths } from '../lib/paths.mjs'

/**
 * Where Debezium's Cassandra connector, running inside the harness's Connect
 * worker, finds what it needs on this host. The connector is not a client: it
 * reads the node's commit-log segments from `cdc_raw` on disk, so it must run
 * beside the node and load the node's own `cassandra.yaml` (which names
 * `cdc_raw_directory`); the driver configuration is for its schema queries.
 *
 * Shape: `{ cassandraYaml, cdcRawDir, driverConfig, relocationDir, contactPoint }`,
 * absolute paths and `host:port`. `ensureCassandraConnectorFiles` writes the
 * driver configuration (contact point from CASSANDRA_PORT) and creates the
 * relocation folder; `up connect` calls it on every start.
 * @param {NodeJS.ProcessEnv} [env]
 */
export function cassandraConnectorFiles(env = process.env) {
  const node = servicePaths('cassandra', env).stateDir
  const connect = servicePaths('connect', env).stateDir
  return {
    cassandraYaml: path.join(node, 'cassandra.yaml'),
    cdcRawDir: path.join(node, 'data', 'cdc_raw'),
    driverConfig: path.join(connect, 'cassandra-driver.conf'),
    relocationDir: path.join(connect, 'data', 'cassandra-relocation'),
    contactPoint: `127.0.0.1:${env.CASSANDRA_PORT || 9042}`,
  }
}

/**
 * Writes the connector's driver configuration (HOCON, the DataStax Java
 * driver's format) and its relocation folder; returns the paths.
 * @param {NodeJS.ProcessEnv} [env]
 */
export function ensureCassandraConnectorFiles(env = process.env) {
  const files = cassandraConnectorFiles(env)
  fs.mkdirSync(files.relocationDir, { recursive: true })
  fs.writeFileSync(
    files.driverConfig,
    `# Written by services/connect/cassandra.mjs on every start of the Connect worker.
datastax-java-driver {
  basic.contact-points = ["${files.contactPoint}"]
  # SimpleSnitch (services/cassandra) names the datacenter datacenter1.
  basic.load-balancing-policy.local-datacenter = datacenter1
  basic.request.timeout = 20 seconds
}
`,
  )
  return files
}
