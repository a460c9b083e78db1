// Types for start-flags.mjs (tests import it; the bench runs it as plain JavaScript).
export declare function nodeFlagsOf(startScript: string): string[];
export declare function startNodeFlags(root: string): string[];
