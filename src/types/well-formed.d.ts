// ES2024's well-formed string methods, which Node 20 has (V8 11.3) but the
// ES2023 lib we compile against does not declare. The lib stays at ES2023 so
// that nothing newer than Node 20 type-checks by accident.
interface String {
  isWellFormed(): boolean;
  toWellFormed(): string;
}
