// The component-type side of wasi:filesystem (included by filesystem.h only): ValTraits for
// the WIT records, enums, flags and variants of wasi:filesystem/types, and the template
// AddFilesystemToLinker. The type nodes are built here from primitives (not through other
// ValTraits) so this header compiles before the built-in traits are instantiated.
#pragma once

#include <utility>

namespace weft::component {

namespace fs_traits_detail {

inline TypeRef LabelledType(TypeKind kind, std::vector<std::string> labels) {
  Type* t = NewStaticType(kind);
  t->labels = std::move(labels);
  return t;
}

/// ValTraits for an enum class over WIT enum cases 0..n-1.
template <typename E>
struct EnumTraits {
  static Val ToVal(E e) { return Val::Make(TypeKind::kEnum, static_cast<uint64_t>(e)); }
  static E FromVal(const Val& v) { return static_cast<E>(v.bits); }
};

/// ValTraits for a flags struct with a `bits` member.
template <typename F>
struct FlagsTraits {
  static Val ToVal(const F& f) { return Val::Make(TypeKind::kFlags, f.bits); }
  static F FromVal(const Val& v) {
    F f;
    f.bits = static_cast<uint32_t>(v.bits);
    return f;
  }
};

}  // namespace fs_traits_detail

template <>
struct ValTraits<wasi::p2::fs::ErrorCode> : fs_traits_detail::EnumTraits<wasi::p2::fs::ErrorCode> {
  static TypeRef Type() {
    static const TypeRef t = [] {
      std::vector<std::string> labels;
      for (int i = 0; i < wasi::p2::fs::kErrorCodeCount; ++i) {
        labels.emplace_back(wasi::p2::fs::ErrorCodeName(static_cast<wasi::p2::fs::ErrorCode>(i)));
      }
      return fs_traits_detail::LabelledType(TypeKind::kEnum, std::move(labels));
    }();
    return t;
  }
};

template <>
struct ValTraits<wasi::p2::fs::DescriptorType>
    : fs_traits_detail::EnumTraits<wasi::p2::fs::DescriptorType> {
  static TypeRef Type() {
    static const TypeRef t = fs_traits_detail::LabelledType(
        TypeKind::kEnum, {"unknown", "block-device", "character-device", "directory", "fifo",
                          "symbolic-link", "regular-file", "socket"});
    return t;
  }
};

template <>
struct ValTraits<wasi::p2::fs::Advice> : fs_traits_detail::EnumTraits<wasi::p2::fs::Advice> {
  static TypeRef Type() {
    static const TypeRef t = fs_traits_detail::LabelledType(
        TypeKind::kEnum,
        {"normal", "sequential", "random", "will-need", "dont-need", "no-reuse"});
    return t;
  }
};

template <>
struct ValTraits<wasi::p2::fs::DescriptorFlags>
    : fs_traits_detail::FlagsTraits<wasi::p2::fs::DescriptorFlags> {
  static TypeRef Type() {
    static const TypeRef t = fs_traits_detail::LabelledType(
        TypeKind::kFlags, {"read", "write", "file-integrity-sync", "data-integrity-sync",
                           "requested-write-sync", "mutate-directory"});
    return t;
  }
};

template <>
struct ValTraits<wasi::p2::fs::PathFlags> : fs_traits_detail::FlagsTraits<wasi::p2::fs::PathFlags> {
  static TypeRef Type() {
    static const TypeRef t =
        fs_traits_detail::LabelledType(TypeKind::kFlags, {"symlink-follow"});
    return t;
  }
};

template <>
struct ValTraits<wasi::p2::fs::OpenFlags> : fs_traits_detail::FlagsTraits<wasi::p2::fs::OpenFlags> {
  static TypeRef Type() {
    static const TypeRef t = fs_traits_detail::LabelledType(
        TypeKind::kFlags, {"create", "directory", "exclusive", "truncate"});
    return t;
  }
};

template <>
struct ValTraits<wasi::p2::fs::Datetime> {
  static TypeRef Type() {
    static const TypeRef t = [] {
      component::Type* n = NewStaticType(TypeKind::kRecord);
      n->fields = {{"seconds", PrimitiveType(TypeKind::kU64)},
                   {"nanoseconds", PrimitiveType(TypeKind::kU32)}};
      return n;
    }();
    return t;
  }
  static Val ToVal(const wasi::p2::fs::Datetime& d) {
    return Val::Aggregate(TypeKind::kRecord, {Val::U64(d.seconds), Val::U32(d.nanoseconds)});
  }
  static wasi::p2::fs::Datetime FromVal(const Val& v) {
    return {v.items[0].bits, static_cast<uint32_t>(v.items[1].bits)};
  }
};

template <>
struct ValTraits<wasi::p2::fs::NewTimestamp> {
  static TypeRef Type() {
    static const TypeRef t = [] {
      component::Type* n = NewStaticType(TypeKind::kVariant);
      n->fields = {{"no-change", nullptr},
                   {"now", nullptr},
                   {"timestamp", ValTraits<wasi::p2::fs::Datetime>::Type()}};
      return n;
    }();
    return t;
  }
  static Val ToVal(const wasi::p2::fs::NewTimestamp& ts) {
    std::vector<Val> payload;
    if (ts.kind == wasi::p2::fs::NewTimestamp::kTimestamp) {
      payload.push_back(ValTraits<wasi::p2::fs::Datetime>::ToVal(ts.timestamp));
    }
    return Val::Aggregate(TypeKind::kVariant, std::move(payload), ts.kind);
  }
  static wasi::p2::fs::NewTimestamp FromVal(const Val& v) {
    wasi::p2::fs::NewTimestamp ts;
    ts.kind = static_cast<wasi::p2::fs::NewTimestamp::Kind>(v.bits);
    if (ts.kind == wasi::p2::fs::NewTimestamp::kTimestamp && !v.items.empty()) {
      ts.timestamp = ValTraits<wasi::p2::fs::Datetime>::FromVal(v.items[0]);
    }
    return ts;
  }
};

template <>
struct ValTraits<wasi::p2::fs::DescriptorStat> {
  static TypeRef OptionalDatetime() {
    static const TypeRef t = [] {
      component::Type* n = NewStaticType(TypeKind::kOption);
      n->elem = ValTraits<wasi::p2::fs::Datetime>::Type();
      return n;
    }();
    return t;
  }
  static TypeRef Type() {
    static const TypeRef t = [] {
      component::Type* n = NewStaticType(TypeKind::kRecord);
      n->fields = {{"type", ValTraits<wasi::p2::fs::DescriptorType>::Type()},
                   {"link-count", PrimitiveType(TypeKind::kU64)},
                   {"size", PrimitiveType(TypeKind::kU64)},
                   {"data-access-timestamp", OptionalDatetime()},
                   {"data-modification-timestamp", OptionalDatetime()},
                   {"status-change-timestamp", OptionalDatetime()}};
      return n;
    }();
    return t;
  }
  static Val Opt(const std::optional<wasi::p2::fs::Datetime>& d) {
    if (!d) return Val::Aggregate(TypeKind::kOption, {}, 0);
    return Val::Aggregate(TypeKind::kOption, {ValTraits<wasi::p2::fs::Datetime>::ToVal(*d)}, 1);
  }
  static std::optional<wasi::p2::fs::Datetime> FromOpt(const Val& v) {
    if (v.bits == 0 || v.items.empty()) return std::nullopt;
    return ValTraits<wasi::p2::fs::Datetime>::FromVal(v.items[0]);
  }
  static Val ToVal(const wasi::p2::fs::DescriptorStat& s) {
    return Val::Aggregate(TypeKind::kRecord,
                          {ValTraits<wasi::p2::fs::DescriptorType>::ToVal(s.type),
                           Val::U64(s.link_count), Val::U64(s.size),
                           Opt(s.data_access_timestamp), Opt(s.data_modification_timestamp),
                           Opt(s.status_change_timestamp)});
  }
  static wasi::p2::fs::DescriptorStat FromVal(const Val& v) {
    wasi::p2::fs::DescriptorStat s;
    s.type = ValTraits<wasi::p2::fs::DescriptorType>::FromVal(v.items[0]);
    s.link_count = v.items[1].bits;
    s.size = v.items[2].bits;
    s.data_access_timestamp = FromOpt(v.items[3]);
    s.data_modification_timestamp = FromOpt(v.items[4]);
    s.status_change_timestamp = FromOpt(v.items[5]);
    return s;
  }
};

template <>
struct ValTraits<wasi::p2::fs::DirectoryEntry> {
  static TypeRef Type() {
    static const TypeRef t = [] {
      component::Type* n = NewStaticType(TypeKind::kRecord);
      n->fields = {{"type", ValTraits<wasi::p2::fs::DescriptorType>::Type()},
                   {"name", PrimitiveType(TypeKind::kString)}};
      return n;
    }();
    return t;
  }
  static Val ToVal(const wasi::p2::fs::DirectoryEntry& e) {
    return Val::Aggregate(TypeKind::kRecord,
                          {ValTraits<wasi::p2::fs::DescriptorType>::ToVal(e.type),
                           Val::String(e.name)});
  }
  static wasi::p2::fs::DirectoryEntry FromVal(const Val& v) {
    return {ValTraits<wasi::p2::fs::DescriptorType>::FromVal(v.items[0]), v.items[1].str};
  }
};

template <>
struct ValTraits<wasi::p2::fs::MetadataHashValue> {
  static TypeRef Type() {
    static const TypeRef t = [] {
      component::Type* n = NewStaticType(TypeKind::kRecord);
      n->fields = {{"lower", PrimitiveType(TypeKind::kU64)},
                   {"upper", PrimitiveType(TypeKind::kU64)}};
      return n;
    }();
    return t;
  }
  static Val ToVal(const wasi::p2::fs::MetadataHashValue& h) {
    return Val::Aggregate(TypeKind::kRecord, {Val::U64(h.lower), Val::U64(h.upper)});
  }
  static wasi::p2::fs::MetadataHashValue FromVal(const Val& v) {
    return {v.items[0].bits, v.items[1].bits};
  }
};

}  // namespace weft::component

namespace weft::wasi::p2::fs {

template <typename T>
Error AddFilesystemToLinker(component::Linker<T>& linker, FilesystemCtx& (*get)(T&),
                            WasiP2Ctx& (*io)(T&)) {
  using component::Borrow;
  using Desc = Borrow<DescriptorTag>;
  using DirStream = Borrow<DirectoryEntryStreamTag>;
  using std::string;
  using std::vector;

  auto types = linker.Instance("wasi:filesystem/types@0.2.12");
  // Drops go through the dynamic DefineResource, whose dtor may capture the getter.
  WEFT_TRY(types.DefineResource(
      "descriptor", component::HostResourceType<DescriptorTag>(),
      [get](component::HostContext*, StoreBase& store, uint32_t rep) {
        get(static_cast<Store<T>&>(store).data()).DropDescriptor(rep);
      }));
  WEFT_TRY(types.DefineResource(
      "directory-entry-stream", component::HostResourceType<DirectoryEntryStreamTag>(),
      [get](component::HostContext*, StoreBase& store, uint32_t rep) {
        get(static_cast<Store<T>&>(store).data()).DropDirectoryEntryStream(rep);
      }));

  WEFT_TRY(types.FuncWrap("[method]descriptor.read-via-stream",
                          [get, io](T& s, Desc self, uint64_t offset) {
                            return get(s).ReadViaStream(io(s), self.rep, offset);
                          }));
  WEFT_TRY(types.FuncWrap("[method]descriptor.write-via-stream",
                          [get, io](T& s, Desc self, uint64_t offset) {
                            return get(s).WriteViaStream(io(s), self.rep, offset);
                          }));
  WEFT_TRY(types.FuncWrap("[method]descriptor.append-via-stream", [get, io](T& s, Desc self) {
    return get(s).AppendViaStream(io(s), self.rep);
  }));
  WEFT_TRY(types.FuncWrap(
      "[method]descriptor.advise",
      [get](T& s, Desc self, uint64_t offset, uint64_t length, Advice advice) {
        return get(s).Advise(self.rep, offset, length, advice);
      }));
  WEFT_TRY(types.FuncWrap("[method]descriptor.sync-data",
                          [get](T& s, Desc self) { return get(s).SyncData(self.rep); }));
  WEFT_TRY(types.FuncWrap("[method]descriptor.get-flags",
                          [get](T& s, Desc self) { return get(s).GetFlags(self.rep); }));
  WEFT_TRY(types.FuncWrap("[method]descriptor.get-type",
                          [get](T& s, Desc self) { return get(s).GetType(self.rep); }));
  WEFT_TRY(types.FuncWrap("[method]descriptor.set-size", [get](T& s, Desc self, uint64_t size) {
    return get(s).SetSize(self.rep, size);
  }));
  WEFT_TRY(types.FuncWrap("[method]descriptor.set-times",
                          [get](T& s, Desc self, NewTimestamp atime, NewTimestamp mtime) {
                            return get(s).SetTimes(self.rep, atime, mtime);
                          }));
  WEFT_TRY(types.FuncWrap("[method]descriptor.read",
                          [get](T& s, Desc self, uint64_t length, uint64_t offset) {
                            return get(s).Read(self.rep, length, offset);
                          }));
  WEFT_TRY(types.FuncWrap("[method]descriptor.write",
                          [get](T& s, Desc self, vector<uint8_t> buffer, uint64_t offset) {
                            return get(s).Write(self.rep, buffer, offset);
                          }));
  WEFT_TRY(types.FuncWrap("[method]descriptor.read-directory",
                          [get](T& s, Desc self) { return get(s).ReadDirectory(self.rep); }));
  WEFT_TRY(types.FuncWrap("[method]descriptor.sync",
                          [get](T& s, Desc self) { return get(s).Sync(self.rep); }));
  WEFT_TRY(types.FuncWrap("[method]descriptor.create-directory-at",
                          [get](T& s, Desc self, string path) {
                            return get(s).CreateDirectoryAt(self.rep, path);
                          }));
  WEFT_TRY(types.FuncWrap("[method]descriptor.stat",
                          [get](T& s, Desc self) { return get(s).Stat(self.rep); }));
  WEFT_TRY(types.FuncWrap("[method]descriptor.stat-at",
                          [get](T& s, Desc self, PathFlags flags, string path) {
                            return get(s).StatAt(self.rep, flags, path);
                          }));
  WEFT_TRY(types.FuncWrap("[method]descriptor.set-times-at",
                          [get](T& s, Desc self, PathFlags flags, string path,
                                NewTimestamp atime, NewTimestamp mtime) {
                            return get(s).SetTimesAt(self.rep, flags, path, atime, mtime);
                          }));
  WEFT_TRY(types.FuncWrap("[method]descriptor.link-at",
                          [get](T& s, Desc self, PathFlags old_flags, string old_path,
                                Desc new_descriptor, string new_path) {
                            return get(s).LinkAt(self.rep, old_flags, old_path,
                                                 new_descriptor.rep, new_path);
                          }));
  WEFT_TRY(types.FuncWrap("[method]descriptor.open-at",
                          [get](T& s, Desc self, PathFlags path_flags, string path,
                                OpenFlags open_flags, DescriptorFlags flags) {
                            return get(s).OpenAt(self.rep, path_flags, path, open_flags, flags);
                          }));
  WEFT_TRY(types.FuncWrap("[method]descriptor.readlink-at", [get](T& s, Desc self, string path) {
    return get(s).ReadlinkAt(self.rep, path);
  }));
  WEFT_TRY(types.FuncWrap("[method]descriptor.remove-directory-at",
                          [get](T& s, Desc self, string path) {
                            return get(s).RemoveDirectoryAt(self.rep, path);
                          }));
  WEFT_TRY(types.FuncWrap(
      "[method]descriptor.rename-at",
      [get](T& s, Desc self, string old_path, Desc new_descriptor, string new_path) {
        return get(s).RenameAt(self.rep, old_path, new_descriptor.rep, new_path);
      }));
  WEFT_TRY(types.FuncWrap("[method]descriptor.symlink-at",
                          [get](T& s, Desc self, string old_path, string new_path) {
                            return get(s).SymlinkAt(self.rep, old_path, new_path);
                          }));
  WEFT_TRY(types.FuncWrap("[method]descriptor.unlink-file-at",
                          [get](T& s, Desc self, string path) {
                            return get(s).UnlinkFileAt(self.rep, path);
                          }));
  WEFT_TRY(types.FuncWrap("[method]descriptor.is-same-object",
                          [get](T& s, Desc self, Desc other) {
                            return get(s).IsSameObject(self.rep, other.rep);
                          }));
  WEFT_TRY(types.FuncWrap("[method]descriptor.metadata-hash",
                          [get](T& s, Desc self) { return get(s).MetadataHash(self.rep); }));
  WEFT_TRY(types.FuncWrap("[method]descriptor.metadata-hash-at",
                          [get](T& s, Desc self, PathFlags flags, string path) {
                            return get(s).MetadataHashAt(self.rep, flags, path);
                          }));
  WEFT_TRY(types.FuncWrap("[method]directory-entry-stream.read-directory-entry",
                          [get](T& s, DirStream self) {
                            return get(s).ReadDirectoryEntry(self.rep);
                          }));
  WEFT_TRY(types.FuncWrap("filesystem-error-code", [io](T& s, Borrow<IoErrorTag> err) {
    return FilesystemCtx::FilesystemErrorCode(io(s), err.rep);
  }));

  auto preopens = linker.Instance("wasi:filesystem/preopens@0.2.12");
  WEFT_TRY(preopens.FuncWrap("get-directories", [get](T& s) { return get(s).GetDirectories(); }));
  return Error();
}

}  // namespace weft::wasi::p2::fs
