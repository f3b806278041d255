// Dependency rules of src/ (docs/architecture.md, "Layers"), checked by `npm run lint`.
const PLATFORM = '(^src/(db|lib|auth|org|audit|settings)/)|(^src/env[.]ts$)';
// Route modules: what only the app mounts.
const ROUTES = '(^src/[a-z-]+/[a-z-]*routes[.]ts$)|(^src/surveys/preview[.]ts$)';
// Type-only imports are erased when compiled: they order no module and run nothing.
const RUNTIME = { dependencyTypesNot: ['type-only'] };

/**
 * Today's named exceptions: [from, to, why]. Each is a rule living in the wrong module, to be
 * moved where the rule says (a shared domain module), not a pattern to follow.
 */
const EXCEPTIONS = {
  'platform-imports-no-feature': [
    ['src/settings/settings.ts', 'src/cases/config.ts', 'the case settings schemas belong to settings, which cases would import'],
    ['src/org/hierarchy.ts', 'src/scores/fold.ts', 'a unit move shifts its rollups (moveBranches); the move could publish it instead'],
  ],
};

const exact = (file) => `^${file.replace(/[.]/g, '[.]')}$`;

/** The rule, minus its named exceptions: other modules keep the rule whole, each excepted module loses only its pairs. */
function withExceptions(rule) {
  const pairs = EXCEPTIONS[rule.name] ?? [];
  const froms = [...new Set(pairs.map(([from]) => from))];
  const base = { ...rule, from: { ...rule.from, pathNot: [rule.from.pathNot, ...froms.map(exact)].filter(Boolean) } };
  return [
    base,
    ...froms.map((from) => ({
      ...rule,
      from: { path: exact(from) },
      to: { ...rule.to, pathNot: [rule.to.pathNot, ...pairs.filter(([f]) => f === from).map(([, to]) => exact(to))].filter(Boolean) },
    })),
  ];
}

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles: a cycle makes module order (and the queue and cron paths) fragile.',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: RUNTIME },
    },
    {
      name: 'routes-only-from-app',
      severity: 'error',
      comment: 'Route modules are mounted by src/app.ts only (tests may import them); shared rules live in domain modules.',
      from: { path: '^src/', pathNot: '^src/app[.]ts$' },
      to: { path: ROUTES, ...RUNTIME },
    },
    {
      name: 'scoring-is-pure',
      severity: 'error',
      comment: 'src/scoring/ is the one NPS implementation and imports nothing of the project.',
      from: { path: '^src/scoring/' },
      to: { path: '^src/', pathNot: '^src/scoring/' },
    },
    {
      name: 'platform-imports-no-feature',
      severity: 'error',
      comment: 'The platform (db, lib, env, auth, org, audit, settings) imports no feature folder; scoring is pure and may be used.',
      from: { path: PLATFORM },
      to: { path: '^src/', pathNot: `${PLATFORM}|(^src/scoring/)`, ...RUNTIME },
    },
  ].flatMap(withExceptions),
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '[.]test[.]ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
