#pragma once
// Decides one intake against a compiled ruleset. Pure and deterministic: the same ruleset and answers
// always give the same Evaluation. Thread-safe (no shared mutable state).
#include "compile/compiled.hpp"
#include "eval/evaluation.hpp"

namespace triage {

// Three-valued truth (Kleene): unanswered facts make conditions unknown.
enum class Truth : std::uint8_t { false_ = 0, true_ = 1, unknown = 2 };

// `answers.values` must have one entry per fact; defaults fill facts not in `answers.known`.
Evaluation evaluate(const CompiledRuleset& ruleset, const Answers& answers);

// Whether an atom (a comparison of one fact's value) holds for `value`: the meaning every faster
// form of it (the compiled range tests) must agree with.
bool atom_holds(const Atom& atom, model::FactValue value);

// Evaluates one program; `atoms` holds the truth of every atom. Exposed for tests and analyses.
Truth run_program(const CompiledRuleset& ruleset, const Program& program, const Truth* atoms);

// The truth of every atom for facts whose values are final (defaults already applied): a fact not
// in `known` makes its atoms unknown. `out` must hold ruleset.atoms.size() entries.
void compute_atoms(const CompiledRuleset& ruleset, const std::vector<model::FactValue>& values,
                   const model::FactSet& known, Truth* out);
// The same for the atoms listed in `only` (indices into ruleset.atoms); the others are left as they are.
void compute_atoms(const CompiledRuleset& ruleset, const std::vector<model::FactValue>& values,
                   const model::FactSet& known, Truth* out, const std::vector<std::uint32_t>& only);

}  // namespace triage
