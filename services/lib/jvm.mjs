/** What bin/kafka-run-class.sh uses, so Kafka's JVMs (broker, Connect) behave as a stock install would under load. */
export const JVM_PERFORMANCE_OPTS = [
  '-server',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-XX:+ExitOnOutOfMemoryError',
  '-Djava.awt.headless=true',
]

/**
 * A log4j2 configuration that logs INFO to the console (the harness sends
 * stdout to <state>/<name>.log), with `quiet` loggers raised to the given
 * level. Without a configuration log4j2 prints errors only, and a ready line
 * would never appear.
 * @param {Record<string, string>} quiet logger name → level
 */
export function consoleLog4j2(quiet) {
  const loggers = Object.entries(quiet).map(
    ([name, level], i) => `logger.q${i}.name = ${name}\nlogger.q${i}.level = ${level}\n`,
  )
  return `status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
${loggers.join('')}`
}
