// Anchor translation unit for the shared precompiled torch header (see delrec_use_pch in CMakeLists.txt).
