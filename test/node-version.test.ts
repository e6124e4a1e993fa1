import { describe, expect, it } from "vitest";
import { unsupportedNode } from "../bin/node-version.mjs";

describe("unsupportedNode", () => {
  it("accepts Node 20.19 and later, and every later major", () => {
    for (const version of ["20.19.0", "20.20.2", "21.0.0", "22.12.0", "24.1.3", "v20.19.1"]) {
      expect(unsupportedNode(version), version).toBeUndefined();
    }
  });

  it("refuses versions without require() of ES modules, naming both versions", () => {
    for (const version of ["20.18.3", "20.0.0", "18.20.4", "v19.9.0"]) {
      const problem = unsupportedNode(version);
      expect(problem, version).toContain("20.19.0 or later");
      expect(problem, version).toContain(version);
    }
  });

  it("lets a version it cannot read through rather than refuse a working runtime", () => {
    expect(unsupportedNode("20.19.0-nightly")).toBeUndefined();
    expect(unsupportedNode("")).toBeUndefined();
  });

  it("holds for the Node.js running these tests, which CI runs tokenbill on", () => {
    expect(unsupportedNode(process.versions.node)).toBeUndefined();
  });
});
