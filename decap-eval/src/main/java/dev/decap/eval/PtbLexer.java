package dev.decap.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The scanner behind {@link PtbTokenizer}: the token classes of the Stanford PTB tokenizer (CoreNLP 3.4.1, as
 * pycocoevalcap runs it: default options, {@code -preserveLines -lowerCase}), matched the way its JFlex lexer
 * matches them. At each position every rule is tried; the longest match wins, counting a rule's trailing context,
 * and the earlier rule wins a tie. Literal words match in any case, character classes only as written (JFlex's
 * {@code %caseless}). Characters outside the Basic Multilingual Plane are never part of a token (JFlex 1.4 read
 * UTF-16 units) and are dropped, like every character no rule matches.
 *
 * <p>Provenance: the token classes, their order and the abbreviation lists follow Stanford's
 * {@code PTBLexer.flex} of CoreNLP 3.4.1 (GPL v2 or later), re-expressed as Java regular expressions so that
 * the output is the same; no CoreNLP code is used. Checked against the real tokenizer as described in
 * {@code docs/metrics.md}.
 *
 * <p>Stateless and thread-safe.
 */
final class PtbLexer {

    /** What a rule does with the text it matched. */
    private enum Action {
        KEEP, PUSHBACK, NBSP, PHONE, FIXED, AMP, SOFT, LEFT_QUOTE, RIGHT_QUOTE, FRACTION, CURRENCY, ACRONYM,
        PERIOD_AGAIN, PARENS, HYPHENS, SKIP, NEWLINE
    }

    /**
     * One lexer rule. Each pattern is one alternative; when a pattern has a group 1, that group is the token and
     * the rest is trailing context (it counts for the longest match but is scanned again).
     */
    private record Rule(Pattern[] patterns, Action action, String fixed, int pushback) {
    }

    // ---- character classes (contents of [...]) and macros -------------------------------------------------------

    /** Letters: Java's letters, combining marks, the soft hyphen and the symbol ranges Stanford counts as letters. */
    private static final String LC = "\\p{L}\\p{Mn}\\p{Mc}\\u00AD\\u02C2-\\u02C5\\u02D2-\\u02DF\\u02E5-\\u02FF"
            + "\\u0370-\\u037D\\u0384\\u0385\\u03F6\\u055A-\\u055F\\u070F";
    private static final String DC = "\\p{Nd}\\u07C0-\\u07C9";
    /** An accented-letter entity such as {@code &eacute;} counts as a letter. */
    private static final String LET = "(?:[" + LC + "]|&[aeiouAEIOU](?i:acute|grave|uml);)";
    private static final String LETDIG = "(?:[" + LC + DC + "]|&[aeiouAEIOU](?i:acute|grave|uml);)";
    private static final String D = "[" + DC + "]";
    private static final String SPACE = "[ \\t\\u00A0\\u2000-\\u200A\\u3000]";
    private static final String NEWLINE_CHARS = "\\r\\n\\u2028\\u2029\\u000B\\u000C\\u0085";
    private static final String SPACENL = "[ \\t\\u00A0\\u2000-\\u200A\\u3000" + NEWLINE_CHARS + "]";
    private static final String SGML = "<(?:[!?][A-Za-z-][^>\\r\\n]*|[A-Za-z][A-Za-z0-9_:.-]*(?:[ ]+(?:[A-Za-z]"
            + "[A-Za-z0-9_:.-]*[ ]*=[ ]*(?:'[^']*'|\"[^\"]*\")|[A-Za-z][A-Za-z0-9_:.-]*))*[ ]*/?"
            + "|/[A-Za-z][A-Za-z0-9_:.-]*)[ ]*>";
    private static final String SENTEND = SPACENL + "(?:" + SPACENL + "|\\p{javaUpperCase}|" + SGML + ")";
    private static final String APOS = "(?:['\\u0092\\u2019]|&(?i:apos);)";
    private static final String APOSETC = "(?:" + APOS + "|[`\\u0091\\u2018\\u201B])";
    private static final String WORD = LET + LETDIG + "*(?:[.!?]" + LET + LETDIG + "*)*";
    private static final String REDAUX = APOS + "(?:[msdMSD]|(?i:re|ve|ll))";
    private static final String SWORD = "[A-Za-z\\u00AD]*[A-MO-Za-mo-z]\\u00AD*";
    private static final String SREDAUX = "(?i:n)" + APOSETC + "(?i:t)";
    private static final String LD = "[\\p{L}\\p{Nd}]";
    private static final String HYPHEN = "[-_\\u058A\\u2010\\u2011]";
    private static final String THING_PART = "(?:[dDoOlL]" + APOSETC + LD + ")?" + LD + "+";
    private static final String THING = THING_PART + "(?:" + HYPHEN + THING_PART + ")*";
    private static final String THINGA = "[A-Z]+(?:(?:[+&]|&(?i:amp);)[A-Z]+)+";
    private static final String ACRO = "(?:(?i:Canada|Sino|Korean|EU|Japan|non)-(?i:U\\.S)"
            + "|(?i:U\\.S\\.-)(?i:U\\.K|U\\.S\\.S\\.R)|[A-Za-z](?:\\.[A-Za-z])*)";
    private static final String ACRO2 = "(?:(?i:Canada|Sino|Korean|EU|Japan|non)-(?i:U\\.S)"
            + "|(?i:U\\.S\\.-)(?i:U\\.K|U\\.S\\.S\\.R)|[A-Za-z](?:\\.[A-Za-z])+)";
    private static final String HTHING = "[A-Za-z0-9][A-Za-z0-9.,\\u00AD]*(?:-(?:" + ACRO2
            + "\\.|[A-Za-z0-9\\u00AD]+))+";
    private static final String INSENTP = "[,;:\\u3001]";
    private static final String NUM = "(?:" + D + "*(?:[.:,\\u00AD\\u066B\\u066C]" + D + "+)+|" + D + "+)";

    // Abbreviations Stanford's lexer knows (induced from the WSJ); a bracketed letter matches only that case.
    private static final String ABMONTH = "(?i:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)";
    private static final String ABDAYS = "(?i:Mon|Tues|Tue|Wed|Thurs|Thu|Fri)";
    private static final String ABSTATE = "(?:(?i:Ala|Ariz)|A(?i:z)|A(?i:rk)|(?i:Calif|Colo|Conn|Ct|Dak)|D(?i:el)"
            + "|(?i:Fla|Ga)|I(?i:ll)|(?i:Ind|Kans?|Ky)|L(?i:a)|M(?i:ass)|(?i:Md|Mich|Minn)|M(?i:iss)"
            + "|(?i:Mo|Mont|Neb|Nev|Okla)|O(?i:re)|P(?i:a)|(?i:Penn|Tenn)|T(?i:ex)|(?i:Va|Vt)|W(?i:ash)"
            + "|(?i:Wisc?|Wyo))";
    private static final String ABCOMP = "(?:(?i:Inc|Cos?|Corp)|(?i:p)(?i:p)?(?i:t)[ye](?i:s)?"
            + "|(?i:Ltd|Plc|Rt|Bancorp|Bhd|Assn|Univ|Intl|Sys))";
    private static final String ABBREV1 = "(?:" + ABMONTH + "|" + ABDAYS + "|" + ABSTATE + "|" + ABCOMP
            + "|(?i:tel|est|ext|sq)|(?i:Jr|Sr|Bros|(?:Ed|Ph)\\.D|Blvd|Rd|Esq)|(?i:etc|al|seq|Bldg))\\.";
    private static final String ABTITLE = "(?:(?i:Mr|Mrs|Ms)|M(?i:iss)|(?i:Drs?|Profs?|Sens?|Reps?|Attys?|Lt|Col"
            + "|Gen|Messrs|Govs?|Adm|Rev|Maj|Sgt|Cpl|Pvt|Capt|Ste?|Ave|Pres|Lieut|Hon|Brig|Co?mdr|Pfc|Spc"
            + "|Supts?|Det|Mt|Ft|Adj|Adv|Asst|Assoc|Ens|Insp|Mlle|Mme|Msgr|Sfc))";
    private static final String ABCOMP2 = "(?:(?i:Invt|Elec|Natl|Dept)|(?i:m)[ft](?i:g))";
    private static final String ABBREV4 = "(?:" + ABTITLE + "|(?i:vs|Alex|Wm|Jos|Cie|a\\.k\\.a|cf|TREAS|Ph)|"
            + ACRO + "|" + ABCOMP2 + ")";
    private static final String ACRONYM_FOLLOWER = "(?:A(?i:bout|ccording|dditionally|fter|n|s|t)?|B(?i:ut)"
            + "|E(?i:arlier)|H(?i:e|er|ere|owever)|I(?i:f|n|t)|L(?i:ast)|M(?i:any|ore|r\\.|s\\.)|N(?i:ow)"
            + "|O(?i:nce|ne|ther|ur)|S(?i:he|ince|o|ome|uch)|T(?i:hat|he|heir|hen|here|hese|hey|his)"
            + "|W(?i:e|hen|hile|hat)|Y(?i:et|ou)|" + SGML + ")";
    private static final String FILENAME_EXT = "(?i:bat|bmp|c|class|cgi|cpp|dll|doc|docx|exe|gif|gz|h|htm|html"
            + "|jar|java|jpeg|jpg|mov|mp3|pdf|php|pl|png|ppt|ps|py|sql|tar|txt|wav|x|xml|zip)";
    private static final String MISCSYMBOL = "[+%&~^|\\\\\\u00A6\\u00A7\\u00A8\\u00A9\\u00AC\\u00AE\\u00AF"
            + "\\u00B0-\\u00B3\\u00B4-\\u00BA\\u00D7\\u00F7\\u0387\\u05BE\\u05C0\\u05C3\\u05C6\\u05F3\\u05F4"
            + "\\u0600-\\u0603\\u0606-\\u060A\\u060C\\u0614\\u061B\\u061E\\u066A\\u066D\\u0703-\\u070D\\u07F6"
            + "\\u07F7\\u07F8\\u0964\\u0965\\u0E4F\\u1FBD\\u2016\\u2017\\u2020-\\u2023\\u2030-\\u2038\\u203B"
            + "\\u203E-\\u2042\\u2044\\u207A-\\u207F\\u208A-\\u208E\\u2100-\\u214F\\u2190-\\u21FF\\u2200-\\u2BFF"
            + "\\u3012\\u30FB\\uFF01-\\uFF0F\\uFF1A-\\uFF20\\uFF3B-\\uFF40\\uFF5B-\\uFF65]";

    private static final List<Rule> RULES = new ArrayList<>();
    /** Every rule's patterns, flattened in rule order, and the rule each belongs to. */
    private static final List<Pattern> PATTERNS = new ArrayList<>();
    private static final List<Rule> OWNER = new ArrayList<>();
    private static final Map<String, int[]> PREFIXES = new ConcurrentHashMap<>();
    private static final int MAX_CACHED_PREFIXES = 100_000;

    static {
        rule(Action.KEEP, "(?i:c\\+\\+)", "(?i:[cf])#");
        pushback(3, "(?i:cannot)");
        pushback(3, "(?i:'twas)");
        pushback(2, "(?i:'tis)");
        pushback(2, "(?i:gonna|gotta|lemme|gimme|wanna)");
        rule(Action.NBSP, SGML);
        fixed("--", "&(?i:MD|mdash|ndash);|[\\u0096\\u0097\\u2013\\u2014\\u2015]");
        rule(Action.AMP, "&(?i:amp);");
        rule(Action.KEEP, "&(?i:HT|TL|UR|LR|QC|QL|QR|odq|cdq|#[0-9]+);");
        rule(Action.SOFT, "(" + WORD + ")" + REDAUX);
        rule(Action.SOFT, "(" + SWORD + ")" + SREDAUX);
        rule(Action.SOFT, WORD);
        rule(Action.KEEP, APOS + "(?i:n)" + APOS + "?", "[lLdDjJ]" + APOS, "(?i:Dunkin|somethin|ol)" + APOS,
                APOS + "(?i:em)", "[A-HJ-XZn]" + APOSETC + "\\p{L}{2}\\p{L}*", APOS + "[2-9]0(?i:s)",
                APOS + "(?i:till?)", "\\p{L}+[aeiouyAEIOUY]" + APOSETC + "[aeiouA-Z]\\p{L}*", APOS + "(?i:cause)",
                "(?i:cont'd)\\.?", "(?i:'twas|nor'easter|c'mon|e'er|s'mores|ev'ry|li'l|nat'l)",
                "(?i:o)" + APOSETC + "(?i:o)");
        rule(Action.KEEP, "((?i:y)" + APOS + ")\\p{L}");
        rule(Action.KEEP, "(?i:https?)://[^ \\t\\n\\f\\r\"<>|(){}]+[^ \\t\\n\\f\\r\"<>|.!?(){},-]");
        rule(Action.KEEP, "(?:(?:(?i:www)\\.(?:[^ \\t\\n\\f\\r\"<>|.!?(){},]+\\.)+[a-zA-Z]{2,4})"
                + "|(?:(?:[^ \\t\\n\\f\\r\"`'<>|.!?(){},-_$]+\\.)+(?i:com|net|org|edu)))"
                + "(?:/[^ \\t\\n\\f\\r\"<>|()]+[^ \\t\\n\\f\\r\"<>|.!?(){},-])?");
        rule(Action.KEEP, "(?:&(?i:lt);|<)?[a-zA-Z0-9][^ \\t\\n\\f\\r\"<>|()\\u00A0{}]*@"
                + "(?:[^ \\t\\n\\f\\r\"<>|(){}.\\u00A0]+\\.)*[^ \\t\\n\\f\\r\"<>|(){}.\\u00A0]+(?:&(?i:gt);|>)?");
        rule(Action.KEEP, "@[a-zA-Z_][a-zA-Z_0-9]*", "#" + LET + "+");
        rule(Action.RIGHT_QUOTE, "(" + REDAUX + ")[^A-Za-z]");
        rule(Action.RIGHT_QUOTE, "(" + SREDAUX + ")[^A-Za-z]");
        rule(Action.KEEP, D + "{1,2}[-/]" + D + "{1,2}[-/]" + D + "{2,4}");
        rule(Action.SOFT, "[-+]?" + NUM);
        rule(Action.KEEP, "[\\u207A\\u207B\\u208A\\u208B]?(?:[\\u2070\\u00B9\\u00B2\\u00B3\\u2074-\\u2079]+"
                + "|[\\u2080-\\u2089]+)");
        rule(Action.NBSP, "(?:" + D + "{1,4}[- \\u00A0])?" + D + "{1,4}(?:\\\\?/|\\u2044)" + D + "{1,4}");
        rule(Action.FRACTION, "[\\u00BC\\u00BD\\u00BE\\u2153-\\u215E]");
        rule(Action.AMP, "-(?i:RRB|LRB|RCB|LCB|RSB|LSB)-|(?i:C\\.D\\.s|pro-|anti-)",
                "(?i:S)(?:&|&(?i:amp);)(?i:P-500|Ls)", "(?i:Cap)" + APOS + "(?i:n)", "(?i:c)" + APOS + "(?i:est)");
        rule(Action.KEEP, "[A-Za-z0-9]+(?:-[A-Za-z]+){0,2}(?:\\\\?/[A-Za-z0-9]+(?:-[A-Za-z]+){0,2}){1,2}");
        rule(Action.KEEP, "[A-Z]*\\$|#");
        rule(Action.CURRENCY, "[\\u00A2\\u00A3\\u00A4\\u00A5\\u0080\\u20A0\\u20AC\\u060B\\u0E3F\\u20A4\\uFFE0"
                + "\\uFFE1\\uFFE5\\uFFE6]");
        rule(Action.ACRONYM, "(" + ACRO + "\\.)" + SPACENL + "+" + ACRONYM_FOLLOWER + SPACENL);
        rule(Action.KEEP, "((?i:ca|figs?|prop|nos?|art|bldg|pp|op)\\.)" + SPACENL + "?\\p{Nd}");
        rule(Action.KEEP, "((?i:pt)[eyEY]\\.|(?i:co)\\.)" + SPACE + "(?i:ltd|lim)");
        rule(Action.PERIOD_AGAIN, "(" + ABBREV1 + ")" + SENTEND);
        rule(Action.KEEP, "(" + ABBREV1 + ")[\\s\\S][\\s\\S]");
        rule(Action.PERIOD_AGAIN, ABBREV1);
        rule(Action.KEEP, ABBREV4 + "\\.");
        rule(Action.KEEP, "(" + ABBREV4 + ")" + SPACE);
        rule(Action.KEEP, "(" + ACRO + ")" + SPACENL);
        rule(Action.KEEP, "(" + APOS + "[0-9][0-9])" + SPACENL);
        rule(Action.KEEP, "(" + LETDIG + "+(?:\\." + LETDIG + "+)*\\." + FILENAME_EXT + ")(?:" + SPACENL
                + "|[.?!,])");
        rule(Action.SOFT, "(" + WORD + "\\.)" + INSENTP);
        rule(Action.PHONE, "(?:\\([0-9]{2,3}\\)[ \\u00A0]?|(?:\\+\\+?)?(?:[0-9]{2,4}[- \\u00A0])?[0-9]{2,4}"
                + "[- \\u00A0])[0-9]{3,4}[- \\u00A0]?[0-9]{3,5}",
                "(?:(?:\\+\\+?)?[0-9]{2,4}\\.)?[0-9]{2,4}\\.[0-9]{3,4}\\.[0-9]{3,5}");
        rule(Action.LEFT_QUOTE, "(\"|&(?i:quot);)[A-Za-z0-9$]");
        rule(Action.RIGHT_QUOTE, "\"|&(?i:quot);");
        rule(Action.SKIP, "\\x7f");
        fixed("<", "<|&(?i:lt);");
        fixed(">", ">|&(?i:gt);");
        rule(Action.PARENS, "([<>]?[:;=][-o*']?[()DPdpO\\\\{@|\\[\\]])[^A-Za-z0-9]");
        rule(Action.PARENS, "[\\^xX=~<>]\\.\\[\\^[xX]=~<>\\]", "[-\\^x=~<>']_[-\\^x=~<>']",
                "\\([-\\^x=~<>'][_.]?[-\\^x=~<>']\\)", "\\([\\^x=~<>']-[\\^x=~<>'`]\\)");
        fixed("-LCB-", "\\{");
        fixed("-RCB-", "\\}");
        fixed("-LSB-", "\\[");
        fixed("-RSB-", "\\]");
        fixed("-LRB-", "\\(");
        fixed("-RRB-", "\\)");
        rule(Action.HYPHENS, "-+");
        fixed("...", "\\.{3,5}|(?:\\.[ \\u00A0]){2,4}\\.|[\\u0085\\u2026]");
        rule(Action.KEEP, "@+|#+|_+");
        rule(Action.KEEP, "\\*+|(?:\\\\\\*){1,3}");
        rule(Action.KEEP, INSENTP);
        rule(Action.KEEP, "[?!]+");
        rule(Action.KEEP, "[.\\u00A1\\u00BF\\u037E\\u0589\\u061F\\u06D4\\u0700-\\u0702\\u07FA\\u3002]");
        rule(Action.KEEP, "=");
        rule(Action.KEEP, "/");
        rule(Action.SOFT, "(" + HTHING + "\\.)" + INSENTP);
        rule(Action.SOFT, HTHING);
        rule(Action.KEEP, "(" + THING + "\\.)" + INSENTP);
        rule(Action.KEEP, THING);
        rule(Action.AMP, "(" + THINGA + "\\.)" + INSENTP);
        rule(Action.AMP, THINGA);
        rule(Action.LEFT_QUOTE, "(')[A-Za-z][^ \\t\\n\\r\\u00A0]");
        rule(Action.RIGHT_QUOTE, REDAUX);
        rule(Action.RIGHT_QUOTE, SREDAUX);
        rule(Action.RIGHT_QUOTE, "''|[`\\u2018\\u2019\\u201A\\u201B\\u201C\\u201D\\u0091\\u0092\\u0093\\u0094"
                + "\\u201E\\u201F\\u2039\\u203A\\u00AB\\u00BB]{1,2}|" + APOS);
        rule(Action.KEEP, "<<|>>");
        rule(Action.KEEP, MISCSYMBOL);
        rule(Action.SKIP, "\\x00|" + SPACE + "+|[\\u200B\\u200E\\u200F\\uFEFF]");
        rule(Action.NEWLINE, "\\r\\n|[" + NEWLINE_CHARS + "]");
        rule(Action.SKIP, "&(?i:nbsp);");
    }

    private static void rule(Action action, String... patterns) {
        add(action, null, 0, patterns);
    }

    private static void fixed(String text, String pattern) {
        add(Action.FIXED, text, 0, pattern);
    }

    private static void pushback(int n, String pattern) {
        add(Action.PUSHBACK, null, n, pattern);
    }

    private static void add(Action action, String fixed, int pushback, String... patterns) {
        Pattern[] compiled = new Pattern[patterns.length];
        for (int i = 0; i < patterns.length; i++) {
            compiled[i] = Pattern.compile(patterns[i]);
        }
        Rule rule = new Rule(compiled, action, fixed, pushback);
        RULES.add(rule);
        for (Pattern p : compiled) {
            PATTERNS.add(p);
            OWNER.add(rule);
        }
    }

    /**
     * The patterns, in rule order, that can match at a position whose text starts with {@code prefix} (one or two
     * characters, two unless the input ends): those that match within the prefix or ran out of input trying
     * ({@link Matcher#hitEnd()}); the others cannot match there whatever follows. Computed once per prefix.
     */
    private static int[] candidates(String prefix) {
        int[] known = PREFIXES.get(prefix);
        if (known != null) {
            return known;
        }
        int[] found = new int[PATTERNS.size()];
        int count = 0;
        for (int i = 0; i < PATTERNS.size(); i++) {
            Matcher m = PATTERNS.get(i).matcher(prefix);
            if (m.lookingAt() || m.hitEnd()) {
                found[count++] = i;
            }
        }
        int[] result = Arrays.copyOf(found, count);
        if (PREFIXES.size() < MAX_CACHED_PREFIXES) { // bounded: arbitrary Unicode must not grow it forever
            PREFIXES.putIfAbsent(prefix, result);
        }
        return result;
    }

    private PtbLexer() {
    }

    /**
     * Tokenises {@code text} as the lexer reads a file: tokens lower-cased (English locale) and grouped by line,
     * a line ending at each newline character the lexer knows (\n, \r, \r\n, U+2028, U+2029, VT, FF).
     */
    static List<List<String>> lines(String text) {
        String input = bmpOnly(text);
        List<List<String>> lines = new ArrayList<>();
        List<String> line = new ArrayList<>();
        Matcher[] matchers = new Matcher[PATTERNS.size()];
        int pos = 0;
        int n = input.length();
        while (pos < n) {
            Rule best = null;
            int bestTotal = 0;
            int bestMain = 0;
            for (int index : candidates(input.substring(pos, Math.min(pos + 2, n)))) {
                Matcher matcher = matchers[index];
                if (matcher == null) {
                    matcher = PATTERNS.get(index).matcher(input);
                    matchers[index] = matcher;
                }
                matcher.region(pos, n);
                if (matcher.lookingAt()) {
                    int total = matcher.end() - pos;
                    if (total > bestTotal) {
                        bestTotal = total;
                        bestMain = (matcher.groupCount() >= 1 && matcher.group(1) != null ? matcher.end(1)
                                : matcher.end()) - pos;
                        best = OWNER.get(index);
                    }
                }
            }
            if (best == null || bestMain == 0) {
                pos++; // untokenizable: dropped, as the Stanford tokenizer does by default
                continue;
            }
            String token = text.substring(pos, pos + bestMain); // original text: a token may hold surrogates
            int consumed = bestMain;
            String out = null;
            switch (best.action()) {
                case KEEP -> out = token;
                case PUSHBACK -> {
                    consumed = bestMain - best.pushback();
                    out = token.substring(0, consumed);
                }
                case NBSP -> out = token.replace(' ', '\u00A0');
                case PHONE -> out = token.replace(' ', '\u00A0').replace("(", "-LRB-").replace(")", "-RRB-");
                case FIXED -> out = best.fixed();
                case AMP -> out = token.replaceAll("(?i:&amp;)", "&");
                case SOFT -> out = removeSoftHyphens(token);
                case LEFT_QUOTE -> out = quotes(token, true);
                case RIGHT_QUOTE -> out = quotes(token, false);
                case FRACTION -> out = token.replace("\u00BC", "1/4").replace("\u00BD", "1/2")
                        .replace("\u00BE", "3/4").replace("\u2153", "1/3").replace("\u2154", "2/3");
                case CURRENCY -> out = token.replace("\u00A2", "cents").replace("\u00A3", "#")
                        .replaceAll("[\u0080\u00A4\u20A0\u20AC]", "\\$");
                case ACRONYM -> {
                    if (token.length() == 2) { // "I." and the like: the letter now, the period next
                        consumed = 1;
                        out = token.substring(0, 1);
                    } else { // the acronym with its period, and the period again as a sentence end
                        consumed = token.length() - 1;
                        out = token;
                    }
                }
                case PERIOD_AGAIN -> {
                    consumed = token.length() - 1;
                    out = token;
                }
                case PARENS -> out = token.replace("(", "-LRB-").replace(")", "-RRB-");
                case HYPHENS -> out = token.length() >= 3 && token.length() <= 4 ? "--" : token;
                case SKIP -> out = null;
                case NEWLINE -> {
                    lines.add(line);
                    line = new ArrayList<>();
                }
                default -> throw new AssertionError(best.action());
            }
            if (out != null) {
                line.add(out.toLowerCase(Locale.ENGLISH));
            }
            pos += consumed;
        }
        lines.add(line);
        return lines;
    }

    /**
     * Surrogates become U+FFFF for matching: no letter or symbol class holds it, so outside the few negated
     * classes (URLs, e-mail addresses) they are dropped one UTF-16 unit at a time, as by JFlex 1.4.
     */
    private static String bmpOnly(String text) {
        StringBuilder sb = null;
        for (int i = 0; i < text.length(); i++) {
            if (Character.isSurrogate(text.charAt(i))) {
                if (sb == null) {
                    sb = new StringBuilder(text);
                }
                sb.setCharAt(i, '\uFFFF');
            }
        }
        return sb == null ? text : sb.toString();
    }

    private static String removeSoftHyphens(String in) {
        if (in.indexOf('\u00AD') < 0) {
            return in;
        }
        String out = in.replace("\u00AD", "");
        return out.isEmpty() ? "-" : out;
    }

    /** Stanford's LaTeX quotes: ` `` for opening quotes, ' '' for closing ones. */
    private static String quotes(String in, boolean probablyLeft) {
        String s = in;
        if (probablyLeft) {
            s = s.replaceAll("&apos;|'", "`").replaceAll("\"|&quot;", "``");
        } else {
            s = s.replaceAll("&apos;|'", "'").replaceAll("\"|&quot;", "''");
        }
        return s.replaceAll("[\u0091\u2018\u201B\u2039]", "`").replaceAll("[\u0092\u2019\u203A]", "'")
                .replaceAll("[\u0093\u201C\u00AB]", "``").replaceAll("[\u0094\u201D\u00BB]", "''");
    }
}
