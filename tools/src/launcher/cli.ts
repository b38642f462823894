import { parseArgs } from 'node:util';
import { attachStack, upStack } from './launcher';
import { knownStacks } from './registry';

const USAGE = `usage: pnpm stack <command>
  up <stack> [--set KEY=VALUE ...]   start a stack and wait until every process is ready
  down <stack>                        stop it (SIGTERM, then SIGKILL after 10 s)
  kill <stack> <process>              SIGKILL one process (fault injection)
  restart <stack> <process>           start one process again and wait until it is ready
  status <stack>                      processes, pids and URLs
  list                                known stacks
stacks: ${knownStacks().join(', ')}`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { set: { type: 'string', multiple: true } },
});
const [command, stack, processName] = positionals;
const settings = Object.fromEntries((values.set ?? []).map((kv) => kv.split(/=(.*)/s).slice(0, 2)));

async function main() {
  switch (command) {
    case 'list':
      console.log(knownStacks().join('\n'));
      return;
    case 'up': {
      if (!stack) throw new Error(USAGE);
      const handle = await upStack(stack, { instance: stack, settings, verbose: true, persist: true });
      console.log(`${stack} is up: API ${handle.apiUrl || '(none)'}, mock LLM ${handle.llmUrl || '(none)'}`);
      for (const [name, url] of Object.entries(handle.topology.links ?? {})) console.log(`  ${name}: ${url}`);
      console.log(`  logs: ${handle.runDir}/logs`);
      return;
    }
    case 'down':
      await (await attachStack(stack ?? '')).down();
      return;
    case 'kill':
    case 'restart': {
      if (!processName) throw new Error(USAGE);
      const handle = await attachStack(stack ?? '');
      await (command === 'kill' ? handle.kill(processName) : handle.restart(processName));
      return;
    }
    case 'status': {
      const handle = await attachStack(stack ?? '');
      for (const p of handle.processes) {
        const pid = handle.pid(p.name);
        console.log(`${p.name.padEnd(20)} ${pid ? `pid ${pid}` : 'stopped'}  ${handle.logPath(p.name)}`);
      }
      console.log(`API ${handle.apiUrl}  mock LLM ${handle.llmUrl}`);
      return;
    }
    default:
      console.log(USAGE);
      process.exitCode = command ? 2 : 0;
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
