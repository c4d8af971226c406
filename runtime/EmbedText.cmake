# cmake -DINPUT=file -DOUTPUT=source.cpp -DSYMBOL=name -P EmbedText.cmake
# writes `extern "C" const char name[]`: the file's text, NUL-terminated (as
# the CUDA driver takes PTX).
file(READ "${INPUT}" text)
file(WRITE "${OUTPUT}" "// Generated from ${INPUT} by EmbedText.cmake.\nextern \"C\" const char ${SYMBOL}[] = R\"tgc_embedded(${text})tgc_embedded\";\n")
