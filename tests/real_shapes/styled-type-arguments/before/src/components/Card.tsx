import styled, { css } from "styled-components";
import type { Palette, Size } from "../theme/palette";
import { palette } from "../theme/palette";
import { Button } from "./Button";
import type { ButtonProps } from "./Button";
import { useEffect } from "react";

// Tagged templates with type arguments: valid TypeScript since 2.9, what styled-components documents.
const elevated = css<{ raised: boolean }>`
  box-shadow: ${(p) => (p.raised ? "0 2px 8px rgba(0, 0, 0, 0.2)" : "none")};
`;

export const Card = styled.div<{ active: boolean; tone: Palette }>`
  border: 1px solid ${(p) => (p.active ? p.tone.accent : palette.muted)};
  padding: 1rem;
  ${elevated}
`;

export const Badge = styled.div<{ size: Size }>`
  font-size: ${(p) => (p.size === "small" ? "0.75rem" : "1rem")};
  content: "\`";
`;

export const CardButton = styled(Button)<ButtonProps & { wide?: boolean }>`
  width: ${(p) => (p.wide ? "100%" : "auto")};
  color: ${palette.accent};
`;
