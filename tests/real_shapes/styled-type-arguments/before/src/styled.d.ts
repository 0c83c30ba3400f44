// The part of styled-components' types this project uses (the package is not installed in tests).
type Interpolation<P> = string | number | ((props: P) => string | number | undefined);
type Styled<P> = <Extra extends object = {}>(
  strings: TemplateStringsArray, ...values: Interpolation<P & Extra>[]
) => (props: P & Extra) => unknown;
declare module "styled-components" {
  const styled: {
    div: Styled<{}>;
    button: Styled<{}>;
    <P>(component: (props: P) => unknown): Styled<P>;
  };
  export function css<P extends object>(strings: TemplateStringsArray, ...values: Interpolation<P>[]): string;
  export default styled;
}
