export declare const REQUIRED_NODE_MAJOR: number;
export declare function nodeTooOld(version: string): string | undefined;
