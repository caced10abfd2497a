#pragma once
// The tidying of item titles that DELRec's authors apply before titles go into prompts (data.title_cleanup, on by
// default; prepare.h applies it to every dataset). In this order:
//  1. HTML entities decoded, as Amazon metadata has them ("Crabtree &amp; Evelyn"): &#NNN; and &#xHH; (any code
//     point but NUL and surrogates), &amp; &lt; &gt; &quot; &apos; &nbsp; (as a plain space) and the common
//     typographic and Latin-1 letter names (kEntities in the .cpp). Unknown names stay as they are; one pass only,
//     so "&amp;lt;" becomes "&lt;".
//  2. Whitespace trimmed and each inner run of it (spaces, tabs, line breaks) made one space.
//  3. A trailing article moved to the front, as MovieLens files titles: "Matrix, The (1999)" -> "The Matrix (1999)",
//     "Misérables, Les (1995)" -> "Les Misérables (1995)", "Avventura, L' (1960)" -> "L'Avventura (1960)". It applies
//     to the title before its parenthesised parts and to each of those: "City of Lost Children, The (Cité des
//     enfants perdus, La) (1995)" -> "The City of Lost Children (La Cité des enfants perdus) (1995)". The articles
//     (capitalised exactly so): A An The, La Le Les L', Il Lo Gli, El Los Las, Un Une Una, Das Der Die Ein Eine,
//     De Het, Den Det. Italian "I" is left out: ", I" is as often a pronoun or a numeral.
#include <string>
#include <string_view>

namespace delrec::data {

std::string clean_title(std::string_view title);

}  // namespace delrec::data
