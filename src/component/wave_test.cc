// WAVE printing and parsing (examples from the WAVE README), call-argument parsing, and
// CheckVal's path-naming errors.
#include <gtest/gtest.h>

#include <string>

#include "weft/component_wave.h"
#include "weft/component_types.h"

namespace weft::component {
namespace {

class Types {
 public:
  TypeRef P(TypeKind k) { return PrimitiveType(k); }
  TypeRef Elem(TypeKind k, TypeRef e) {
    Type* t = arena_.New(k);
    t->elem = e;
    return t;
  }
  TypeRef List(TypeRef e) { return Elem(TypeKind::kList, e); }
  TypeRef Option(TypeRef e) { return Elem(TypeKind::kOption, e); }
  TypeRef Result(TypeRef ok, TypeRef err) {
    Type* t = arena_.New(TypeKind::kResult);
    t->elem = ok;
    t->err = err;
    return t;
  }
  TypeRef Fields(TypeKind k, std::vector<NamedType> f) {
    Type* t = arena_.New(k);
    t->fields = std::move(f);
    return t;
  }
  TypeRef Tuple(std::vector<TypeRef> ts) {
    std::vector<NamedType> f;
    for (TypeRef t : ts) f.push_back({"", t});
    return Fields(TypeKind::kTuple, std::move(f));
  }
  TypeRef Labels(TypeKind k, std::vector<std::string> labels) {
    Type* t = arena_.New(k);
    t->labels = std::move(labels);
    return t;
  }
  TypeRef Func(std::vector<NamedType> params, TypeRef result) {
    Type* t = arena_.New(TypeKind::kFunc);
    t->fields = std::move(params);
    t->result = result;
    return t;
  }

 private:
  TypeArena arena_;
};

constexpr auto kU8 = TypeKind::kU8, kS8 = TypeKind::kS8, kU32 = TypeKind::kU32, kS64 = TypeKind::kS64,
               kU64 = TypeKind::kU64, kF32 = TypeKind::kF32, kF64 = TypeKind::kF64,
               kChar = TypeKind::kChar, kString = TypeKind::kString, kBool = TypeKind::kBool;

Val Agg(TypeKind k, std::vector<Val> items, uint64_t bits = 0) { return Val::Aggregate(k, std::move(items), bits); }

/// Prints `v`, expects `text`, and parses `text` back to `v`.
void RoundTrip(const Val& v, TypeRef t, const std::string& text) {
  SCOPED_TRACE(text);
  EXPECT_TRUE(CheckVal(v, t).ok()) << CheckVal(v, t).message();
  EXPECT_EQ(ValToWave(v, t), text);
  Expected<Val> back = ParseWave(text, t);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, v);
}

Val Parse(const std::string& text, TypeRef t) {
  Expected<Val> v = ParseWave(text, t);
  EXPECT_TRUE(v.ok()) << text << ": " << v.error().message();
  return v.ok() ? *v : Val();
}

void ExpectError(const std::string& text, TypeRef t, const std::string& message) {
  Expected<Val> v = ParseWave(text, t);
  ASSERT_FALSE(v.ok()) << text << " parsed";
  EXPECT_EQ(v.error().code(), ErrorCode::kArgument);
  EXPECT_EQ(v.error().message(), message) << text;
}

TEST(Wave, Scalars) {
  Types ty;
  RoundTrip(Val::Bool(true), ty.P(kBool), "true");
  RoundTrip(Val::Bool(false), ty.P(kBool), "false");
  RoundTrip(Val::U8(255), ty.P(kU8), "255");
  RoundTrip(Val::S8(-128), ty.P(kS8), "-128");
  RoundTrip(Val::S64(INT64_MIN), ty.P(kS64), "-9223372036854775808");
  RoundTrip(Val::U64(UINT64_MAX), ty.P(kU64), "18446744073709551615");
  RoundTrip(Val::F32(3.14f), ty.P(kF32), "3.14");
  RoundTrip(Val::F64(6.022e+23), ty.P(kF64), "6.022e+23");
  RoundTrip(Val::F64(-0.25), ty.P(kF64), "-0.25");
  RoundTrip(Val::Make(kF64, 0x7ff8000000000000), ty.P(kF64), "nan");
  RoundTrip(Val::Make(kF32, 0x7f800000), ty.P(kF32), "inf");
  RoundTrip(Val::Make(kF32, 0xff800000), ty.P(kF32), "-inf");
  EXPECT_EQ(Parse("1e3", ty.P(kF32)), Val::F32(1000.0f));
  EXPECT_EQ(Parse("0.1", ty.P(kF32)), Val::F32(0.1f));  // rounded once, as an f32
  EXPECT_EQ(Parse("-0", ty.P(kU8)), Val::U8(0));
  RoundTrip(Val::Char('x'), ty.P(kChar), "'x'");
  RoundTrip(Val::Char(0x2603), ty.P(kChar), "'\xe2\x98\x83'");
  RoundTrip(Val::Char('\''), ty.P(kChar), "'\\''");
  RoundTrip(Val::Char(0), ty.P(kChar), "'\\u{0}'");
  RoundTrip(Val::Char('"'), ty.P(kChar), "'\"'");
  EXPECT_EQ(Parse("'\\\"'", ty.P(kChar)), Val::Char('"'));
  EXPECT_EQ(Parse("'\\u{1F600}'", ty.P(kChar)), Val::Char(0x1F600));
  RoundTrip(Val::String("abc\t123"), ty.P(kString), "\"abc\\t123\"");
  RoundTrip(Val::String("q\"b\\s\nn\r'\x01 \xf0\x9f\x91\x8b"), ty.P(kString),
            "\"q\\\"b\\\\s\\nn\\r'\\u{1} \xf0\x9f\x91\x8b\"");
  EXPECT_EQ(Parse("  // comment\n  \"x\" // trailing\n", ty.P(kString)), Val::String("x"));
}

TEST(Wave, MultilineStrings) {
  Types ty;
  TypeRef s = ty.P(kString);
  EXPECT_EQ(Parse("\"\"\"\nA single line\n\"\"\"", s), Val::String("A single line"));
  EXPECT_EQ(Parse("\"\"\"\n    Indentation determined\n      by ending delimiter\n  \"\"\"", s),
            Val::String("  Indentation determined\n    by ending delimiter"));
  EXPECT_EQ(Parse("\"\"\"\n  Must escape carriage return at end of line: \\r\n  Must break up double quote "
                  "triplets: \"\"\\\"\"\n  \"\"\"",
                  s),
            Val::String("Must escape carriage return at end of line: \r\nMust break up double quote "
                        "triplets: \"\"\"\""));
  ExpectError("\"\"\"x\n\"\"\"", s, "column 4: a multiline string starts with `\"\"\"` and a line break");
  ExpectError("\"\"\"\n  a\n b\n  \"\"\"", s, "line 3, column 2: line is indented less than the closing `\"\"\"`");
  ExpectError("\"\"\"\nabc", s, "column 1: unterminated multiline string");
}

TEST(Wave, Aggregates) {
  Types ty;
  RoundTrip(Agg(TypeKind::kTuple, {Val::String("abc"), Val::U8(123)}), ty.Tuple({ty.P(kString), ty.P(kU8)}),
            "(\"abc\", 123)");
  RoundTrip(Agg(TypeKind::kList, {Val::U32(1), Val::U32(2), Val::U32(3)}), ty.List(ty.P(kU32)), "[1, 2, 3]");
  RoundTrip(Agg(TypeKind::kList, {}), ty.List(ty.P(kChar)), "[]");
  EXPECT_EQ(Parse("[ 'a' , 'b', ]", ty.List(ty.P(kChar))),
            Agg(TypeKind::kList, {Val::Char('a'), Val::Char('b')}));
  TypeRef rec = ty.Fields(TypeKind::kRecord, {{"field-a", ty.P(kU8)}, {"field-b", ty.P(kString)}});
  RoundTrip(Agg(TypeKind::kRecord, {Val::U8(1), Val::String("two")}), rec, "{field-a: 1, field-b: \"two\"}");
  EXPECT_EQ(Parse("{field-b: \"two\", %field-a: 1,}", rec), Agg(TypeKind::kRecord, {Val::U8(1), Val::String("two")}));
  TypeRef ex = ty.Fields(TypeKind::kRecord, {{"must-have", ty.P(kU8)}, {"optional", ty.Option(ty.P(kU8))}});
  Val none_opt = Agg(TypeKind::kRecord, {Val::U8(123), Val::Make(TypeKind::kOption, 0)});
  EXPECT_EQ(Parse("{must-have: 123}", ex), none_opt);
  EXPECT_EQ(Parse("{must-have: 123, optional: none,}", ex), none_opt);
  TypeRef all_opt = ty.Fields(TypeKind::kRecord, {{"optional", ty.Option(ty.P(kU8))}});
  EXPECT_EQ(Parse("{:}", all_opt), Agg(TypeKind::kRecord, {Val::Make(TypeKind::kOption, 0)}));
  EXPECT_EQ(Parse("{ : }", all_opt), Agg(TypeKind::kRecord, {Val::Make(TypeKind::kOption, 0)}));
  ExpectError("{optional: 1}", ex, "column 1: missing field `must-have`");
  ExpectError("{must-have: 1, must-have: 2}", ex, "column 16: duplicate field `must-have`");
  ExpectError("{nope: 1}", ex, "column 2: no field `nope` in the record");
}

TEST(Wave, VariantsEnumsOptionsResultsFlags) {
  Types ty;
  TypeRef resp = ty.Fields(TypeKind::kVariant,
                           {{"empty", nullptr}, {"body", ty.List(ty.P(kU8))}, {"err", ty.P(kString)}});
  RoundTrip(Val::Make(TypeKind::kVariant, 0), resp, "empty");
  RoundTrip(Agg(TypeKind::kVariant, {Agg(TypeKind::kList, {Val::U8(79), Val::U8(75)})}, 1), resp, "body([79, 75])");
  RoundTrip(Agg(TypeKind::kVariant, {Val::String("oops")}, 2), resp, "%err(\"oops\")");
  ExpectError("body", resp, "column 5: case `body` needs a payload: `body(...)`");
  ExpectError("empty(1)", resp, "column 6: case `empty` has no payload");
  ExpectError("full", resp, "column 1: no case `full` in the variant");

  TypeRef status = ty.Labels(TypeKind::kEnum, {"ok", "not-found"});
  RoundTrip(Val::Make(TypeKind::kEnum, 0), status, "%ok");
  RoundTrip(Val::Make(TypeKind::kEnum, 1), status, "not-found");

  TypeRef opt = ty.Option(ty.P(kU8));
  RoundTrip(Agg(TypeKind::kOption, {Val::U8(123)}, 1), opt, "some(123)");
  RoundTrip(Val::Make(TypeKind::kOption, 0), opt, "none");
  EXPECT_EQ(Parse("123", opt), Agg(TypeKind::kOption, {Val::U8(123)}, 1));  // flat some
  TypeRef optopt = ty.Option(opt);
  RoundTrip(Agg(TypeKind::kOption, {Val::Make(TypeKind::kOption, 0)}, 1), optopt, "some(none)");
  ExpectError("5", optopt, "column 1: expected `none` or `some`, found `5`");
  TypeRef optstr = ty.Option(ty.P(kString));
  EXPECT_EQ(Parse("\"flat some\"", optstr), Agg(TypeKind::kOption, {Val::String("flat some")}, 1));

  TypeRef res_u8 = ty.Result(ty.P(kU8), nullptr);
  RoundTrip(Agg(TypeKind::kResult, {Val::U8(123)}, 0), res_u8, "ok(123)");
  EXPECT_EQ(Parse("123", res_u8), Agg(TypeKind::kResult, {Val::U8(123)}, 0));
  RoundTrip(Val::Make(TypeKind::kResult, 1), res_u8, "err");
  TypeRef res_err = ty.Result(nullptr, ty.P(kString));
  RoundTrip(Val::Make(TypeKind::kResult, 0), res_err, "ok");
  RoundTrip(Agg(TypeKind::kResult, {Val::String("oops")}, 1), res_err, "err(\"oops\")");
  ExpectError("\"x\"", res_err, "column 1: expected `ok` or `err`, found `\"`");
  TypeRef bare = ty.Result(nullptr, nullptr);
  RoundTrip(Val::Make(TypeKind::kResult, 0), bare, "ok");
  RoundTrip(Val::Make(TypeKind::kResult, 1), bare, "err");

  TypeRef perms = ty.Labels(TypeKind::kFlags, {"read", "write", "exec"});
  RoundTrip(Val::Make(TypeKind::kFlags, 3), perms, "{read, write}");
  RoundTrip(Val::Make(TypeKind::kFlags, 0), perms, "{}");
  EXPECT_EQ(Parse("{write, read,}", perms), Val::Make(TypeKind::kFlags, 3));
  ExpectError("{read, read}", perms, "column 8: duplicate flag `read`");
  ExpectError("{execute}", perms, "column 2: no flag `execute` in the flags");
}

TEST(Wave, ErrorsNameTheColumn) {
  Types ty;
  TypeRef lu8 = ty.List(ty.P(kU8));
  ExpectError("300", ty.P(kU8), "column 1: integer 300 is out of range for u8");
  ExpectError("[1, 2,, 3]", lu8, "column 7: expected an integer, found `,`");
  ExpectError("[1, 2", lu8, "column 6: expected `,` or `]`, found the end of the input");
  ExpectError("[1] x", lu8, "column 5: unexpected `x` after the value");
  ExpectError("1.5", ty.P(kU32), "column 1: expected an integer, found `1`");
  ExpectError("01", ty.P(kF64), "column 1: expected a number, `nan`, `inf` or `-inf`, found `0`");
  ExpectError(".5", ty.P(kF64), "column 1: expected a number, `nan`, `inf` or `-inf`, found `.`");
  ExpectError("1e400", ty.P(kF64), "column 1: number 1e400 is out of range for f64");
  ExpectError("'ab'", ty.P(kChar), "column 1: a char literal holds exactly one character");
  ExpectError("'\\u{D800}'", ty.P(kChar), "column 2: `\\u{D800}` is not a Unicode scalar value");
  ExpectError("\"\xc3\xa9\\q\"", ty.P(kString), "column 3: unknown escape `\\q`");  // é counts once
  ExpectError("\"a\nb\"", ty.P(kString), "column 3: newline in a string (write it as `\\n`)");
  ExpectError("\"abc", ty.P(kString), "column 1: unterminated string");
  ExpectError("\"\xff\"", ty.P(kString), "column 2: not valid UTF-8");
  ExpectError("tru", ty.P(kBool), "column 1: expected `true` or `false`, found `t`");
  ExpectError("(1)", ty.Tuple({ty.P(kU8), ty.P(kU8)}), "column 3: tuple has 2 elements, found 1");
  ExpectError("(1, 2, 3)", ty.Tuple({ty.P(kU8), ty.P(kU8)}),
              "column 8: expected `)` after 2 tuple elements, found `3`");
  TypeRef own = ty.Elem(TypeKind::kOwn, nullptr);
  ExpectError("1", own, "column 1: own values cannot be written in WAVE");
}

TEST(Wave, CallsAndArguments) {
  Types ty;
  TypeRef f = ty.Func({{"a", ty.P(kString)}, {"b", ty.Option(ty.P(kU8))}, {"c", ty.Option(ty.P(kU8))}},
                      ty.Result(ty.P(kU32), ty.P(kString)));
  auto call = SplitWaveCall("  greet ( \"hi\", some(1) )  ");
  ASSERT_TRUE(call.ok()) << call.error().message();
  EXPECT_EQ(call->name, "greet");
  EXPECT_EQ(call->args, " \"hi\", some(1) ");
  auto args = ParseWaveArgs(call->args, f, call->args_offset);
  ASSERT_TRUE(args.ok()) << args.error().message();
  ASSERT_EQ(args->size(), 3u);
  EXPECT_EQ((*args)[0], Val::String("hi"));
  EXPECT_EQ((*args)[1], Agg(TypeKind::kOption, {Val::U8(1)}, 1));
  EXPECT_EQ((*args)[2], Val::Make(TypeKind::kOption, 0));  // trailing none omitted
  auto bare = SplitWaveCall("run");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->name, "run");
  EXPECT_TRUE(bare->args.empty());
  EXPECT_FALSE(SplitWaveCall("(1)").ok());
  EXPECT_FALSE(SplitWaveCall("f(1").ok());
  // Columns point into the whole call text.
  auto bad = SplitWaveCall("greet(\"hi\", 300)");
  ASSERT_TRUE(bad.ok());
  auto e = ParseWaveArgs(bad->args, f, bad->args_offset);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message(), "column 13: integer 300 is out of range for u8");
  auto missing = ParseWaveArgs("", f);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(), "column 1: missing argument `a` (3 expected, 0 given)");
  auto extra = ParseWaveArgs("\"a\", 1, 2, 3", f);
  ASSERT_FALSE(extra.ok());
  EXPECT_EQ(extra.error().message(), "column 12: too many arguments: the function takes 3");
  std::vector<Val> results = {Agg(TypeKind::kResult, {Val::U32(7)}, 0)};
  EXPECT_EQ(ResultsToWave(results, f), "ok(7)");
  EXPECT_EQ(ResultsToWave({}, ty.Func({}, nullptr)), "");
}

TEST(CheckVal, NamesThePath) {
  Types ty;
  TypeRef inner = ty.Fields(TypeKind::kRecord, {{"name", ty.P(kString)}, {"n", ty.P(kU8)}});
  TypeRef outer = ty.Fields(TypeKind::kRecord, {{"items", ty.List(inner)}});
  Val good = Agg(TypeKind::kRecord,
                 {Agg(TypeKind::kList, {Agg(TypeKind::kRecord, {Val::String("a"), Val::U8(1)})})});
  EXPECT_TRUE(CheckVal(good, outer).ok());
  Val bad = good;
  bad.items[0].items[0].items[0] = Val::U32(3);
  EXPECT_EQ(CheckVal(bad, outer).message(), "field `items`: element 0: field `name`: expected string, got u32");
  bad = good;
  bad.items[0].items[0].items[1] = Val::U8(0);
  bad.items[0].items[0].items[1].bits = 256;
  EXPECT_EQ(CheckVal(bad, outer).message(), "field `items`: element 0: field `n`: value 256 is out of range for u8");
  bad = good;
  bad.items[0].items[0].items.pop_back();
  EXPECT_EQ(CheckVal(bad, outer).message(), "field `items`: element 0: record has 2 fields, value has 1");
  EXPECT_EQ(CheckVal(Val::S8(-1), ty.P(kS8)).code(), ErrorCode::kOk);
  Val s8 = Val::Make(kS8, 200);
  EXPECT_EQ(CheckVal(s8, ty.P(kS8)).message(), "value 200 is out of range for s8");
  EXPECT_EQ(CheckVal(Val::Char(0xD800), ty.P(kChar)).message(), "char 55296 is not a Unicode scalar value");
  EXPECT_EQ(CheckVal(Val::String("\xc0\x80"), ty.P(kString)).message(), "string is not valid UTF-8 at byte 0");
  TypeRef v = ty.Fields(TypeKind::kVariant, {{"a", nullptr}, {"b", ty.P(kU8)}});
  EXPECT_EQ(CheckVal(Val::Make(TypeKind::kVariant, 2), v).message(), "case index 2 is out of range for 2 cases");
  EXPECT_EQ(CheckVal(Val::Make(TypeKind::kVariant, 1), v).message(), "case `b`: payload missing");
  EXPECT_EQ(CheckVal(Agg(TypeKind::kVariant, {Val::U32(1)}, 1), v).message(), "case `b`: expected u8, got u32");
  EXPECT_EQ(CheckVal(Agg(TypeKind::kVariant, {Val::U8(1)}, 0), v).message(), "case 0 has no payload, value has one");
  TypeRef r = ty.Result(ty.P(kU8), ty.P(kString));
  EXPECT_EQ(CheckVal(Agg(TypeKind::kResult, {Val::U8(1)}, 1), r).message(), "err: expected string, got u8");
  TypeRef fl = ty.Labels(TypeKind::kFlags, {"a", "b"});
  EXPECT_TRUE(CheckVal(Val::Make(TypeKind::kFlags, 3), fl).ok());
  EXPECT_EQ(CheckVal(Val::Make(TypeKind::kFlags, 4), fl).message(), "flags value sets bit 2 but there are 2 flags");
  EXPECT_EQ(CheckVal(Val::F32(1.0f), ty.P(kF64)).message(), "expected f64, got f32");
}

TEST(Wave, PackedBytes) {
  Types ty;
  TypeRef lb = ty.List(ty.P(kU8));
  // Printed the same as the element form; parsed back into the packed form.
  const Val packed = Val::Bytes(std::string("\x00\x07\xff", 3));
  EXPECT_TRUE(packed.packed_bytes());
  RoundTrip(packed, lb, "[0, 7, 255]");
  Val parsed = Parse("[ 0, 7 ,255, ]", lb);
  EXPECT_TRUE(parsed.packed_bytes());
  EXPECT_TRUE(parsed.items.empty());
  EXPECT_EQ(parsed.str, std::string("\x00\x07\xff", 3));
  const Val items = Agg(TypeKind::kList, {Val::U8(0), Val::U8(7), Val::U8(255)});
  EXPECT_EQ(ValToWave(items, lb), "[0, 7, 255]");
  EXPECT_EQ(parsed, items);  // operator== compares list<u8> by content
  RoundTrip(Val::Bytes(std::string()), lb, "[]");
  ExpectError("[1, 256]", lb, "column 5: integer 256 is out of range for u8");
  // Nested, and only list<u8> packs: list<s8> keeps its elements.
  TypeRef rec = ty.Fields(TypeKind::kRecord, {{"data", lb}, {"more", ty.List(lb)}});
  Val r = Parse("{data: [104, 105], more: [[1], []]}", rec);
  EXPECT_EQ(r.items[0].str, "hi");
  EXPECT_EQ(r.items[1].items[0].str, "\x01");
  EXPECT_EQ(ListLength(r.items[1].items[1]), 0u);
  EXPECT_EQ(ValToWave(r, rec), "{data: [104, 105], more: [[1], []]}");
  Val s8s = Parse("[-1, 2]", ty.List(ty.P(kS8)));
  EXPECT_FALSE(s8s.packed_bytes());
  EXPECT_EQ(s8s.items.size(), 2u);
}

TEST(CheckVal, PackedBytes) {
  Types ty;
  EXPECT_TRUE(CheckVal(Val::Bytes("abc"), ty.List(ty.P(kU8))).ok());
  EXPECT_TRUE(CheckVal(Val::Bytes(""), ty.List(ty.P(kU32))).ok());  // the empty list, either form
  EXPECT_EQ(CheckVal(Val::Bytes("abc"), ty.List(ty.P(kU32))).message(),
            "packed bytes are a list<u8>, not a list<u32>");
  TypeRef rec = ty.Fields(TypeKind::kRecord, {{"b", ty.List(ty.P(kS8))}});
  EXPECT_EQ(CheckVal(Agg(TypeKind::kRecord, {Val::Bytes("x")}), rec).message(),
            "field `b`: packed bytes are a list<u8>, not a list<s8>");
  Val both = Agg(TypeKind::kList, {Val::U8(1)});
  both.str.push_back('x');
  EXPECT_EQ(CheckVal(both, ty.List(ty.P(kU8))).message(), "list has both packed bytes and elements");
}

TEST(Val, ListBytesHelpersAndEquality) {
  const std::string bytes("a\x00\xfe", 3);
  const Val packed = Val::Bytes(bytes);
  const std::vector<uint8_t> vec = {'a', 0, 0xfe};
  EXPECT_EQ(Val::Bytes(std::span<const uint8_t>(vec)), packed);
  const Val items = Agg(TypeKind::kList, {Val::U8('a'), Val::U8(0), Val::U8(0xfe)});
  for (const Val* v : {&packed, &items}) {
    EXPECT_EQ(ListLength(*v), 3u);
    EXPECT_EQ(ListByte(*v, 2), 0xfe);
    EXPECT_EQ(ListBytes(*v), bytes);
    std::vector<uint8_t> out = {9};
    AppendListBytes(*v, out);
    EXPECT_EQ(out, (std::vector<uint8_t>{9, 'a', 0, 0xfe}));
    std::string sout = "z";
    AppendListBytes(*v, sout);
    std::string want(1, 'z');  // by appends: g++-12 -Wrestrict misfires on "z" + bytes
    want += bytes;
    EXPECT_EQ(sout, want);
  }
  EXPECT_EQ(items, packed);
  EXPECT_EQ(packed, items);
  Val packed_again = items;
  PackBytes(packed_again);
  EXPECT_TRUE(packed_again.packed_bytes());
  EXPECT_EQ(packed_again.str, bytes);
  // Unequal: other bytes, other lengths, other element kinds, other list kinds.
  EXPECT_NE(packed, Val::Bytes("a"));
  EXPECT_NE(packed, Agg(TypeKind::kList, {Val::U8('a'), Val::U8(0), Val::U8(0xfd)}));
  EXPECT_NE(packed, Agg(TypeKind::kList, {Val::U8('a'), Val::U8(0)}));
  EXPECT_NE(packed, Agg(TypeKind::kList, {Val::U8('a'), Val::U8(0), Val::U16(0xfe)}));
  EXPECT_NE(packed, Agg(TypeKind::kTuple, {Val::U8('a'), Val::U8(0), Val::U8(0xfe)}));
  EXPECT_NE(packed, Val::String(bytes));
  EXPECT_EQ(Val::Bytes(""), Agg(TypeKind::kList, {}));
  // Nested lists compare through the same rule.
  EXPECT_EQ(Agg(TypeKind::kRecord, {packed}), Agg(TypeKind::kRecord, {items}));
}

}  // namespace
}  // namespace weft::component
