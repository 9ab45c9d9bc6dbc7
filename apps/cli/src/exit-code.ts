/** Where a command's action leaves its exit code for `main` (DESIGN.md's table). */
export interface ExitCode {
  code: number;
}
