import { existsSync } from "node:fs";

/**
 * A fallback font for the PDF tests: Debian's WenQuanYi Micro Hei (package fonts-wqy-microhei, which
 * .ci/run installs; 1.6 MB), a collection of two faces with Chinese, Japanese kana and Korean. Tests that
 * need it skip, saying why, on a machine without it.
 */
export const WQY_MICROHEI = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";
export const HAS_WQY_MICROHEI = existsSync(WQY_MICROHEI);
export const WQY_SKIP_REASON = HAS_WQY_MICROHEI ? "" : " [skipped: install fonts-wqy-microhei]";
