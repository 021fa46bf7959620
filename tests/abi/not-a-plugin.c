/* tests/abi/not-a-plugin.c — a perfectly good shared object that is not a
 * ferry module: it has no ferry_module_init entry point. Loading it as a
 * transport must fail with a message naming the file, never crash.
 */
__attribute__((visibility("default"))) int not_a_plugin_entry(void);

__attribute__((visibility("default"))) int not_a_plugin_entry(void)
{
    return 42;
}
