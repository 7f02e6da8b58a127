// The wasi_snapshot_preview1 ABI: errno values, rights bits, flags and the byte layouts of
// the structures the guest passes by pointer (all little-endian, offsets from witx).
// Pure constants: no code, safe to include anywhere.
#pragma once

#include <cstdint>

namespace weft::wasi {

using Errno = uint16_t;

/// errno values (witx `errno`), in declaration order.
enum : Errno {
  kSuccess = 0, k2Big, kAcces, kAddrInUse, kAddrNotAvail, kAfNoSupport, kAgain, kAlready,
  kBadf, kBadMsg, kBusy, kCanceled, kChild, kConnAborted, kConnRefused, kConnReset, kDeadlk,
  kDestAddrReq, kDom, kDquot, kExist, kFault, kFbig, kHostUnreach, kIdrm, kIlseq,
  kInProgress, kIntr, kInval, kIo, kIsConn, kIsDir, kLoop, kMfile, kMlink, kMsgSize,
  kMultihop, kNameTooLong, kNetDown, kNetReset, kNetUnreach, kNfile, kNoBufs, kNoDev,
  kNoEnt, kNoExec, kNoLck, kNoLink, kNoMem, kNoMsg, kNoProtoOpt, kNoSpc, kNoSys, kNotConn,
  kNotDir, kNotEmpty, kNotRecoverable, kNotSock, kNotSup, kNotTy, kNxio, kOverflow,
  kOwnerDead, kPerm, kPipe, kProto, kProtoNoSupport, kProtoType, kRange, kRofs, kSpipe,
  kSrch, kStale, kTimedOut, kTxtBsy, kXdev, kNotCapable,
};

enum Filetype : uint8_t {
  kFiletypeUnknown = 0, kFiletypeBlockDevice, kFiletypeCharacterDevice, kFiletypeDirectory,
  kFiletypeRegularFile, kFiletypeSocketDgram, kFiletypeSocketStream, kFiletypeSymbolicLink,
};

// fdflags
inline constexpr uint16_t kFdflagAppend = 1, kFdflagDsync = 2, kFdflagNonblock = 4,
                          kFdflagRsync = 8, kFdflagSync = 16;
// oflags
inline constexpr uint16_t kOflagCreat = 1, kOflagDirectory = 2, kOflagExcl = 4, kOflagTrunc = 8;
// lookupflags
inline constexpr uint32_t kLookupSymlinkFollow = 1;
// fstflags
inline constexpr uint16_t kFstAtim = 1, kFstAtimNow = 2, kFstMtim = 4, kFstMtimNow = 8;
// whence
inline constexpr uint8_t kWhenceSet = 0, kWhenceCur = 1, kWhenceEnd = 2;
// clockid
inline constexpr uint32_t kClockRealtime = 0, kClockMonotonic = 1, kClockProcessCputime = 2,
                          kClockThreadCputime = 3;
// eventtype, subclockflags, eventrwflags
inline constexpr uint8_t kEventClock = 0, kEventFdRead = 1, kEventFdWrite = 2;
inline constexpr uint16_t kSubclockAbstime = 1;
inline constexpr uint16_t kEventFdReadwriteHangup = 1;
// preopentype
inline constexpr uint8_t kPreopenDir = 0;

// rights
inline constexpr uint64_t kRightFdDatasync = 1ull << 0, kRightFdRead = 1ull << 1,
    kRightFdSeek = 1ull << 2, kRightFdFdstatSetFlags = 1ull << 3, kRightFdSync = 1ull << 4,
    kRightFdTell = 1ull << 5, kRightFdWrite = 1ull << 6, kRightFdAdvise = 1ull << 7,
    kRightFdAllocate = 1ull << 8, kRightPathCreateDirectory = 1ull << 9,
    kRightPathCreateFile = 1ull << 10, kRightPathLinkSource = 1ull << 11,
    kRightPathLinkTarget = 1ull << 12, kRightPathOpen = 1ull << 13,
    kRightFdReaddir = 1ull << 14, kRightPathReadlink = 1ull << 15,
    kRightPathRenameSource = 1ull << 16, kRightPathRenameTarget = 1ull << 17,
    kRightPathFilestatGet = 1ull << 18, kRightPathFilestatSetSize = 1ull << 19,
    kRightPathFilestatSetTimes = 1ull << 20, kRightFdFilestatGet = 1ull << 21,
    kRightFdFilestatSetSize = 1ull << 22, kRightFdFilestatSetTimes = 1ull << 23,
    kRightPathSymlink = 1ull << 24, kRightPathRemoveDirectory = 1ull << 25,
    kRightPathUnlinkFile = 1ull << 26, kRightPollFdReadwrite = 1ull << 27,
    kRightSockShutdown = 1ull << 28, kRightSockAccept = 1ull << 29;
inline constexpr uint64_t kRightsAll = (1ull << 30) - 1;

/// Rights meaningful on a regular file (or stdio stream).
inline constexpr uint64_t kFileRights =
    kRightFdDatasync | kRightFdRead | kRightFdSeek | kRightFdFdstatSetFlags | kRightFdSync |
    kRightFdTell | kRightFdWrite | kRightFdAdvise | kRightFdAllocate | kRightFdFilestatGet |
    kRightFdFilestatSetSize | kRightFdFilestatSetTimes | kRightPollFdReadwrite;
/// Rights meaningful on a directory.
inline constexpr uint64_t kDirRights =
    kRightFdFdstatSetFlags | kRightFdSync | kRightFdDatasync | kRightPathCreateDirectory |
    kRightPathCreateFile | kRightPathLinkSource | kRightPathLinkTarget | kRightPathOpen |
    kRightFdReaddir | kRightPathReadlink | kRightPathRenameSource | kRightPathRenameTarget |
    kRightPathFilestatGet | kRightPathFilestatSetSize | kRightPathFilestatSetTimes |
    kRightFdFilestatGet | kRightFdFilestatSetTimes | kRightPathSymlink |
    kRightPathRemoveDirectory | kRightPathUnlinkFile;

// Structure sizes and field offsets.
inline constexpr uint32_t kIovecSize = 8;         // buf u32 @0, buf_len u32 @4
inline constexpr uint32_t kFdstatSize = 24;       // filetype u8 @0, flags u16 @2, rights @8, @16
inline constexpr uint32_t kFilestatSize = 64;     // dev @0 ino @8 type u8 @16 nlink @24 size @32
                                                  // atim @40 mtim @48 ctim @56
inline constexpr uint32_t kPrestatSize = 8;       // tag u8 @0, name_len u32 @4
inline constexpr uint32_t kDirentSize = 24;       // next @0 ino @8 namlen u32 @16 type u8 @20
inline constexpr uint32_t kSubscriptionSize = 48; // userdata @0 tag u8 @8 union @16
inline constexpr uint32_t kEventSize = 32;        // userdata @0 error u16 @8 type u8 @10
                                                  // nbytes @16 flags u16 @24

}  // namespace weft::wasi
