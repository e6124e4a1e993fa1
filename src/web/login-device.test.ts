import { describe, expect, it } from "vitest";
import { DEVICE_DAYS, LoginDevices } from "./login-device.ts";

// A device cookie's value: bound to its face, account and password hash, refused once expired or altered.

const ann = { id: "stf_ann", stamp: "$argon2id$ann-hash" };

describe("LoginDevices", () => {
  it("knows its own value until it expires, and nothing after", () => {
    let now = new Date("2026-12-06T10:00:00Z");
    const devices = new LoginDevices("key", () => now);
    const { value, maxAgeSeconds } = devices.mint("staff", ann);
    expect(maxAgeSeconds).toBe(DEVICE_DAYS * 86_400);
    const id = devices.deviceOf("staff", value, ann);
    expect(id).toMatch(/^[\w-]{22}$/);
    now = new Date(now.getTime() + (maxAgeSeconds - 1) * 1000);
    expect(devices.deviceOf("staff", value, ann)).toBe(id);
    now = new Date(now.getTime() + 1000);
    expect(devices.deviceOf("staff", value, ann)).toBeUndefined();
  });

  it("refuses another face, account, password hash or key, and malformed values", () => {
    const devices = new LoginDevices("key");
    const { value } = devices.mint("staff", ann);
    expect(devices.deviceOf("customer", value, ann)).toBeUndefined();
    expect(devices.deviceOf("staff", value, { ...ann, id: "stf_bob" })).toBeUndefined();
    expect(devices.deviceOf("staff", value, { ...ann, stamp: "$argon2id$new-hash" })).toBeUndefined();
    expect(new LoginDevices("other key").deviceOf("staff", value, ann)).toBeUndefined();
    for (const bad of [
      "",
      "a.b",
      `${value}.x`,
      `${value}${"x".repeat(200)}`,
      value.replace(/\.\d+\./, ".1e12."),
      undefined,
    ])
      expect(devices.deviceOf("staff", bad, ann)).toBeUndefined();
  });

  it("keeps the device id it is given when renewed", () => {
    const devices = new LoginDevices("key");
    const id = devices.deviceOf("staff", devices.mint("staff", ann).value, ann)!;
    expect(devices.deviceOf("staff", devices.mint("staff", ann, id).value, ann)).toBe(id);
  });
});
