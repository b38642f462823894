import { parseArgs } from 'node:util';
import {
  askSupervisor,
  downUnsupervised,
  type StackStatus,
  startSupervisor,
  unsupervisedStatus,
} from './control';
import { knownStacks } from './registry';

const USAGE = `usage: pnpm stack <command> [--instance NAME]
  up <stack> [--set KEY=VALUE ...]   start a stack, wait until every process is ready, supervise it
  down <stack>                        stop it (SIGTERM, then SIGKILL after 10 s)
  kill <stack> <process>              SIGKILL one process (fault injection; stays down until restart)
  restart <stack> <process>           start one process again and wait until it is ready
  status <stack>                      processes, pids, restarts and URLs
  list                                known stacks
The instance is named after the stack unless --instance names it.
stacks: ${knownStacks().join(', ')}`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { set: { type: 'string', multiple: true }, instance: { type: 'string' } },
});
const [command, stack, processName] = positionals;
const settings = Object.fromEntries((values.set ?? []).map((kv) => kv.split(/=(.*)/s).slice(0, 2)));
const instance = values.instance ?? stack ?? '';
const say = (line: string) => console.error(`[launcher] ${line}`);

function printStatus(status: StackStatus) {
  for (const p of status.processes) {
    const what = p.ready ? 'ready' : p.running ? 'running' : p.wanted ? 'restarting' : 'stopped';
    const restarts = p.restarts ? `  ${p.restarts} restart${p.restarts > 1 ? 's' : ''}` : '';
    console.log(
      `${p.name.padEnd(20)} ${what.padEnd(10)} ${p.pid ? `pid ${p.pid}` : ''}${restarts}  ${p.log}`,
    );
  }
  if (status.supervised)
    console.log(`API ${status.apiUrl || '(none)'}  mock LLM ${status.llmUrl || '(none)'}`);
  else console.log(`no supervisor runs for ${status.instance}: nothing restarts exited processes`);
}

async function main() {
  switch (command) {
    case 'list':
      console.log(knownStacks().join('\n'));
      return;
    case 'up': {
      if (!stack) throw new Error(USAGE);
      if (!knownStacks().includes(stack))
        throw new Error(`unknown stack "${stack}"; known: ${knownStacks().join(', ')}`);
      const status =
        (await askSupervisor(instance, 'POST', '/up')) ??
        (await startSupervisor(stack, instance, settings, say));
      console.log(`${stack} is up: API ${status.apiUrl || '(none)'}, mock LLM ${status.llmUrl || '(none)'}`);
      for (const [name, url] of Object.entries(status.links)) console.log(`  ${name}: ${url}`);
      console.log(`  logs: ${status.runDir}/logs (supervisor: launcher.log)`);
      return;
    }
    case 'down':
      if (!(await askSupervisor(instance, 'POST', '/down'))) await downUnsupervised(instance);
      console.log(`${instance} is down`);
      return;
    case 'kill':
    case 'restart': {
      if (!processName) throw new Error(USAGE);
      const status = await askSupervisor(
        instance,
        'POST',
        `/${command}?process=${encodeURIComponent(processName)}`,
      );
      if (!status)
        throw new Error(
          `no supervisor runs for ${instance}; bring it down and up again (pnpm stack down ${instance})`,
        );
      printStatus(status);
      return;
    }
    case 'status':
      printStatus((await askSupervisor(instance, 'GET', '/status')) ?? unsupervisedStatus(instance));
      return;
    default:
      console.log(USAGE);
      process.exitCode = command ? 2 : 0;
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
