import { used, unused } from "./lib";
export const y = used();
