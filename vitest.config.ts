import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["src/**/*.test.ts", "test/unit/**/*.test.ts"],
          // Both cores: the unit files run before the behaviour suite, not beside it, and most of
          // their time is each file's start.
          maxWorkers: 2,
        },
      },
      {
        test: {
          // Real masters, real workers, real HTTP: one file at a time on a 2-core machine, so the
          // processes under test are not starved by each other and timings stay meaningful.
          name: "behaviour",
          include: ["test/behaviour/**/*.test.ts"],
          // Installs Node 24 (outside the project's dependencies) when the suite runs on it.
          globalSetup: ["test/support/node24-setup.ts"],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
