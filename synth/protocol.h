/*
 * protocol: the wire contract between gra's role prompts and whoever answers
 * them (a real model, or serve-sim's simulated roles in synth/sim_roles.c).
 *
 * Each role request carries response_format json_schema with one of the
 * schema names below; the reply is one JSON object with exactly the fields
 * listed. The material a role must read sits in the LAST user message inside
 * tagged blocks, one per line pair, so a simulated role (and a human reading
 * the cache) can find it without guessing:
 *
 *     <domain>math</domain>
 *     <example>
 *     keywords: fractions; recipes; scaling
 *     summary: ...
 *     </example>                       (repeated)
 *     <example_instruction>...</example_instruction>   (repeated, generator step 2)
 *     <keywords>a; b; c</keywords>
 *     <instruction>...</instruction>
 *     <response>...</response>
 *     <review>
 *     reviewer: 2
 *     scores: correctness=3 clarity=8 completeness=7 relevance=9 coherence=8 ethicality=10
 *     weaknesses: ...
 *     </review>                        (repeated, adjudicator only)
 *
 * Text inside a block never contains the closing tag (prompt rendering
 * replaces "</" inside material with "< /").
 */
#ifndef GRA_SYNTH_PROTOCOL_H
#define GRA_SYNTH_PROTOCOL_H

/* metadata writer (seed preparation and enrichment of kept records)
 * in:  <instruction>, <response>
 * out: {"domain": one of SYNTH_DOMAINS, "keywords": [3 strings], "summary": string} */
#define SCHEMA_METADATA "gra_metadata"

/* generator step 1
 * in:  <domain>, <example> x k (keywords + summary from the pool)
 * out: {"keywords": [3 strings]} */
#define SCHEMA_KEYWORDS "gra_keywords"

/* generator step 2
 * in:  <domain>, <keywords>, <example> x k (summaries), <example_instruction> x m
 * out: {"instruction": string} */
#define SCHEMA_INSTRUCTION "gra_instruction"

/* generator step 3 (and the large-model / generate-only baselines)
 * in:  <domain>, <instruction>
 * out: {"response": string} */
#define SCHEMA_RESPONSE "gra_response"

/* GRA-Refine: rewrite a seed response
 * in:  <domain>, <instruction>, <response> (the seed's)
 * out: {"response": string} */
#define SCHEMA_REFINE "gra_refine"

/* reviewer phase 1: the instruction
 * in:  <domain>, <instruction>
 * out: {"reasonable": "yes"|"no", "complete": "yes"|"no", "clear": "yes"|"no",
 *       "explanation": string} */
#define SCHEMA_REVIEW_INSTRUCTION "gra_review_instruction"

/* reviewer phase 2: the response
 * in:  <domain>, <instruction>, <response>
 * out: {"scores": {"correctness": 0-10, "clarity": .., "completeness": ..,
 *                  "relevance": .., "coherence": .., "ethicality": ..},
 *       "strengths": string, "weaknesses": string} */
#define SCHEMA_REVIEW_RESPONSE "gra_review_response"

/* adjudicator: same reply as phase 2, having read every <review>
 * in:  <domain>, <instruction>, <response>, <review> x N_R */
#define SCHEMA_ADJUDICATE "gra_adjudicate"

/* The paper's seven domains, in this order, spelled exactly so. */
#define SYNTH_N_DOMAINS 7
#define SYNTH_DOMAINS                                                              \
    {"coding", "math", "question answering", "reasoning", "role-play", "language", \
     "creative writing"}

/* The six rubric dimensions, in this order. */
#define SYNTH_N_DIMS 6
#define SYNTH_DIMS \
    {"correctness", "clarity", "completeness", "relevance", "coherence", "ethicality"}

#endif
