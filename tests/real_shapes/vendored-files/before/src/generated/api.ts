import { unused } from "./types";
export const x = 1;
