/** Whether a process group still has a member (the launcher starts each process as a group leader). */
export const groupAlive = (pid: number) => {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
};

export const pidAlive = (pid: number | undefined) => {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Signals a process group (the spawned process and anything it started, e.g. go or tsx children).
 * Only the group: a bare pid may already belong to an unrelated process (pids wrap here).
 */
export function signalGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}
