// sorted-btree ships CommonJS with `exports.default = BTree`; under NodeNext ESM the default
// import is the whole module object, so the class sits on its `default` property.
import btreeModule from 'sorted-btree';

export const BTree = btreeModule.default;
export type BTree<K, V> = InstanceType<typeof btreeModule.default<K, V>>;
