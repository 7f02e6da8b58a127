// Template definitions behind component.h: the built-in ValTraits mappings, LinkerInstance<T>
// ::FuncWrap / DefineResource, and TypedFunc. Included by component.h only.
#pragma once
