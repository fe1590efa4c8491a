//! Browsing the local catalog by category with the server stopped: the
//! category tree pulled with the reference data, each category's products
//! (its subcategories' included) from the local copy, with counts that add
//! up, and the same after the app restarts offline.

use std::collections::BTreeSet;

use tradeport_mobile::{Device, LocalCategory};
use tradeport_tests::TestServer;

/// Every category of the local tree, depth first.
fn walk(device: &Device, parent: Option<&str>, into: &mut Vec<LocalCategory>) {
    for category in device.categories(parent).unwrap() {
        let id = category.id.clone();
        into.push(category);
        walk(device, Some(&id), into);
    }
}

#[tokio::test]
async fn the_local_catalog_browses_by_category_with_the_server_stopped() {
    let server = TestServer::start(|_| {}).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device");
    let device = Device::open(&path, server.client()).unwrap();
    assert!(
        device.categories(None).unwrap().is_empty(),
        "nothing pulled yet"
    );
    device.pull_reference_data().await.unwrap();
    let listed = server
        .client()
        .catalog()
        .list_categories(Default::default())
        .await
        .unwrap()
        .categories;
    server.begin_shutdown();
    server.stopped().await.unwrap();

    let browse = |device: &Device| {
        let mut tree = Vec::new();
        walk(device, None, &mut tree);
        tree
    };
    let tree = browse(&device);
    let ids: BTreeSet<&str> = tree.iter().map(|c| c.id.as_str()).collect();
    let expected: BTreeSet<&str> = listed.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, expected, "the server's whole tree, offline");

    let roots = device.categories(None).unwrap();
    let total = device.status().unwrap().products;
    assert_eq!(
        roots.iter().map(|c| c.products).sum::<usize>(),
        total,
        "every local product sits under one root"
    );
    let (parent, children) = tree
        .iter()
        .map(|c| (c, device.categories(Some(&c.id)).unwrap()))
        .find(|(c, children)| c.products > 0 && !children.is_empty())
        .expect("a category with subcategories and products");
    assert!(children.iter().all(|c| c.depth == parent.depth + 1));
    assert!(children.iter().map(|c| c.products).sum::<usize>() <= parent.products);

    for category in [parent, &children[0]] {
        let products = device
            .products_in_category(&category.id, 0, 100_000)
            .unwrap();
        assert_eq!(products.len(), category.products, "{category:?}");
        for entry in &products {
            let product = entry.product.as_ref().unwrap();
            assert!(
                product.category_path.contains(&category.id) || product.category_id == category.id,
                "{} is not under {}",
                product.sku,
                category.id
            );
            assert!(!entry.price_breaks.is_empty(), "priced offline too");
        }
        let names: Vec<String> = products
            .iter()
            .map(|e| e.product.as_ref().unwrap().name.to_lowercase())
            .collect();
        assert!(names.windows(2).all(|w| w[0] <= w[1]), "by name");
        // Pages follow one another.
        if products.len() > 3 {
            let page = device.products_in_category(&category.id, 2, 2).unwrap();
            assert_eq!(page, products[2..4]);
        }
    }

    // The app restarts, still offline: the same tree, from disk.
    drop(device);
    let again = Device::open(&path, server.anonymous_client()).unwrap();
    assert_eq!(browse(&again), tree);
}
