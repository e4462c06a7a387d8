export * from "./limits";
export * from "./ids";
export * from "./frames";
export * from "./http";
export * from "./calls";
export * from "./media";
export * from "./mentions";
export * from "./notify";
