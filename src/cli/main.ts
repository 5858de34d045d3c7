#!/usr/bin/env node
// The command-line entry point: the only module that exits the process.
import { parseArgs } from 'node:util';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../config';
import { Service } from '../pipeline/service';
import { formatSimulations, simulate } from '../pipeline/simulate';
import { createLogger, Metrics, silentLogger, systemClock } from '../telemetry';
import { createDecider } from '../stages/sample';
import { errorMessage } from '../pipeline/errors';

const USAGE = `feedback-loop — joins GenAI traces with their feedback, redacts PII, emits Avro records

Usage:
  feedback-loop start [--config FILE]      run the service (default config/default.yaml)
  feedback-loop validate FILE [FILE…]      check config files; lists every problem, exits 1 if any
  feedback-loop simulate --config NEW [--baseline CURRENT] [--json] CAPTURE…
                                           replay captured OTLP (JSON lines or protobuf, e.g. the
                                           collector's file exporter) through the pipeline without
                                           writing; print volumes per route, policy hits and the
                                           label mix, side by side with CURRENT when given
  feedback-loop --version | --help
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

async function start(configPath: string): Promise<number> {
  const config = loadConfig(configPath);
  const logger = createLogger({ level: config.telemetry.log_level });
  const service = await Service.create(config, { logger, env: process.env });
  let stopping: Promise<void> | undefined;
  const stop = (signal: string): Promise<void> => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    logger.info({ signal, graceMs: config.service.shutdown_grace }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ graceMs: config.service.shutdown_grace }, 'shutdown grace period exceeded; exiting');
      process.exit(1);
    }, config.service.shutdown_grace);
    timer.unref();
    stopping = service.shutdown();
    return stopping;
  };
  const done = new Promise<number>((resolve) => {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      process.on(sig, () => {
        stop(sig).then(
          () => resolve(0),
          (err: unknown) => {
            logger.error({ err: errorMessage(err) }, 'shutdown failed');
            resolve(1);
          },
        );
      });
    }
  });
  await service.start();
  logger.info({ config: configPath, version: version() }, 'otel-feedback-loop started');
  // Live reload of policy: on SIGHUP, and when the file changes (polled, so an
  // editor that replaces the file is seen too).
  let reloading: Promise<unknown> = Promise.resolve();
  const reload = (why: string) => {
    reloading = reloading.then(() => {
      logger.info({ why, config: configPath }, 'reloading config');
      return service.reload(configPath);
    });
  };
  process.on('SIGHUP', () => reload('SIGHUP'));
  watchFile(configPath, { interval: 1000, persistent: false }, (cur, prev) => {
    if (cur.mtimeMs !== prev.mtimeMs || cur.size !== prev.size) reload('file changed');
  });
  const code = await done;
  unwatchFile(configPath);
  logger.flush();
  return code;
}

function validate(files: string[]): number {
  if (files.length === 0) {
    process.stderr.write('validate: name at least one config file\n');
    return 2;
  }
  let failed = 0;
  for (const f of files) {
    try {
      const config = loadConfig(f);
      // Building the policy plan catches what the schema alone cannot see,
      // e.g. a label policy naming a dimension the labeler does not know.
      createDecider({ label: config.label, sample: config.sample }, { logger: silentLogger(), metrics: new Metrics(), clock: systemClock });
      process.stdout.write(`${f}: ok\n`);
    } catch (err) {
      failed++;
      process.stdout.write(`${err instanceof ConfigError ? err.message : `${f}: ${errorMessage(err)}`}\n`);
    }
  }
  return failed ? 1 : 0;
}

async function simulateCommand(configPath: string | undefined, baseline: string | undefined, files: string[], json: boolean): Promise<number> {
  if (!configPath || files.length === 0) {
    process.stderr.write('simulate: needs --config FILE and at least one capture file\n');
    return 2;
  }
  const runs = baseline ? [['current', baseline] as const, ['new', configPath] as const] : [['config', configPath] as const];
  const sims = [];
  for (const [name, file] of runs) sims.push(await simulate(`${name} (${file})`, loadConfig(file), files));
  process.stdout.write(json ? `${JSON.stringify(sims, null, 2)}\n` : `${formatSimulations(sims)}\n`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      baseline: { type: 'string' },
      current: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (values.version) {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  switch (command) {
    case 'start':
      return start(values.config ?? rest[0] ?? 'config/default.yaml');
    case 'validate':
      return validate(values.config ? [values.config, ...rest] : rest);
    case 'simulate':
      return simulateCommand(values.config, values.baseline ?? values.current, rest, values.json ?? false);
    default:
      process.stderr.write(`unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof ConfigError ? err.message : `error: ${errorMessage(err)}`}\n`);
    process.exit(1);
  },
);
