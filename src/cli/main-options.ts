/**
 * What `mgr` and every command it runs are given from outside: the environment, the working directory
 * and where output goes, so tests can run them without a real process.
 *
 * @module
 */

/** Options of `main`, handed on to each command. */
export interface MainOptions {
  env: Record<string, string | undefined>;
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}
