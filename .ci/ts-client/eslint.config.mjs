// The lifecycle script may not step around the generated types: no `any`,
// no type assertion (`as`, `<T>x`), no non-null assertion (`x!`).
import tseslint from "typescript-eslint";

export default tseslint.config({
  files: ["lifecycle.ts"],
  languageOptions: { parser: tseslint.parser },
  plugins: { "@typescript-eslint": tseslint.plugin },
  linterOptions: { reportUnusedDisableDirectives: "error", noInlineConfig: true },
  rules: {
    "@typescript-eslint/no-explicit-any": "error",
    "@typescript-eslint/consistent-type-assertions": ["error", { assertionStyle: "never" }],
    "@typescript-eslint/no-non-null-assertion": "error",
    "@typescript-eslint/ban-ts-comment": "error",
  },
});
