#include "core/data/title_cleanup.h"

#include <gtest/gtest.h>

namespace delrec::data {
namespace {

TEST(TitleCleanup, MovesTrailingArticlesToTheFront) {
  EXPECT_EQ(clean_title("Matrix, The (1999)"), "The Matrix (1999)");
  EXPECT_EQ(clean_title("Matrix, The"), "The Matrix");
  EXPECT_EQ(clean_title("Time to Kill, A (1996)"), "A Time to Kill (1996)");
  EXPECT_EQ(clean_title("Affair to Remember, An (1957)"), "An Affair to Remember (1957)");
  EXPECT_EQ(clean_title("Mis\xC3\xA9rables, Les (1995)"), "Les Mis\xC3\xA9rables (1995)");
  EXPECT_EQ(clean_title("Haine, La (1995)"), "La Haine (1995)");
  EXPECT_EQ(clean_title("Mépris, Le (1963)"), "Le Mépris (1963)");
  EXPECT_EQ(clean_title("Postino, Il (1994)"), "Il Postino (1994)");
  EXPECT_EQ(clean_title("Boot, Das (1981)"), "Das Boot (1981)");
  EXPECT_EQ(clean_title("Untergang, Der (2004)"), "Der Untergang (2004)");
  EXPECT_EQ(clean_title("Blechtrommel, Die (1979)"), "Die Blechtrommel (1979)");
  EXPECT_EQ(clean_title("Mariachi, El (1992)"), "El Mariachi (1992)");
  EXPECT_EQ(clean_title("Avventura, L' (1960)"), "L'Avventura (1960)");  // no space after L'
  // Only the last ", " counts, and only a whole article.
  EXPECT_EQ(clean_title("Good, the Bad and the Ugly, The (1966)"), "The Good, the Bad and the Ugly (1966)");
  EXPECT_EQ(clean_title("Brush Set, Le Creuset (Blue)"), "Brush Set, Le Creuset (Blue)");
  EXPECT_EQ(clean_title("Shampoo, 12 oz (Pack of 2)"), "Shampoo, 12 oz (Pack of 2)");
  EXPECT_EQ(clean_title("Vitelloni, I (1953)"), "Vitelloni, I (1953)");  // "I" is not taken for an article
  EXPECT_EQ(clean_title("Theatre, the (2000)"), "Theatre, the (2000)");  // capitalised articles only
  EXPECT_EQ(clean_title(", The"), ", The");
}

TEST(TitleCleanup, ParenthesisedTitlesAreTidiedToo) {
  EXPECT_EQ(clean_title("City of Lost Children, The (Cit\xC3\xA9 des enfants perdus, La) (1995)"),
            "The City of Lost Children (La Cit\xC3\xA9 des enfants perdus) (1995)");
  EXPECT_EQ(clean_title("Postman, The (Postino, Il) (1994)"), "The Postman (Il Postino) (1994)");
  EXPECT_EQ(clean_title("Seven (a.k.a. Se7en) (1995)"), "Seven (a.k.a. Se7en) (1995)");
  EXPECT_EQ(clean_title("Bad Boys (a.k.a. Boys, The) (1983)"), "Bad Boys (a.k.a. The Boys) (1983)");
  // Nested parentheses or text after them: the main title alone is tidied.
  EXPECT_EQ(clean_title("Matrix, The (Part (1)) (1999)"), "The Matrix (Part (1)) (1999)");
  EXPECT_EQ(clean_title("Matrix, The (1999) remastered, The"), "The Matrix (1999) remastered, The");
}

TEST(TitleCleanup, DecodesHtmlEntities) {
  EXPECT_EQ(clean_title("Crabtree &amp; Evelyn Hand Therapy"), "Crabtree & Evelyn Hand Therapy");
  EXPECT_EQ(clean_title("Matte Clay Mask &quot;Detox&quot;"), "Matte Clay Mask \"Detox\"");
  EXPECT_EQ(clean_title("Chef&#39;s Knife &apos;8&apos; &lt;b&gt;"), "Chef's Knife '8' <b>");
  EXPECT_EQ(clean_title("Hyaluronic Mist &#8211; 100 ml"), "Hyaluronic Mist \xE2\x80\x93 100 ml");
  EXPECT_EQ(clean_title("Starforge&#x2122; &#X1F3B5;"), "Starforge\xE2\x84\xA2 \xF0\x9F\x8E\xB5");
  EXPECT_EQ(clean_title("Cr&egrave;me &Eacute;clat &AElig;&aelig; &szlig; &trade; &reg;"),
            "Cr\xC3\xA8me \xC3\x89" "clat \xC3\x86\xC3\xA6 \xC3\x9F \xE2\x84\xA2 \xC2\xAE");
  EXPECT_EQ(clean_title("&amp;lt;"), "&lt;");  // one pass
  // Unknown names, invalid numbers and a bare '&' stay as they are.
  EXPECT_EQ(clean_title("AT&T &foo; &#0; &#xD800; &#1114112; &#; &#x; &amp"),
            "AT&T &foo; &#0; &#xD800; &#1114112; &#; &#x; &amp");
}

TEST(TitleCleanup, CollapsesWhitespace) {
  EXPECT_EQ(clean_title("  Oat  Milk \t Body\r\nWash  "), "Oat Milk Body Wash");
  EXPECT_EQ(clean_title("&nbsp;Linen&nbsp;&nbsp;Towels "), "Linen Towels");
  EXPECT_EQ(clean_title(" \t "), "");
  EXPECT_EQ(clean_title("  Matrix,&nbsp;The   (1999) "), "The Matrix (1999)");  // all three steps
}

TEST(TitleCleanup, CleanTitlesAreFixedPoints) {
  for (const char* title : {"Toy Story (1995)", "The Matrix (1999)", "L'Avventura (1960)", "Caf\xC3\xA9 Society",
                            "Star Wars: Episode IV - A New Hope (1977)", "Rosewood & Sage Hand Cream, 2.5 oz"})
    EXPECT_EQ(clean_title(title), title);
}

}  // namespace
}  // namespace delrec::data
