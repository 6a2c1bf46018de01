// The NetworkPolicy around a lab VM: only the proxy reaches the agents; the VM reaches DNS and the internet.

extension ClassBuilder {
    /// Namespace label the API server sets on every namespace (Kubernetes ≥ 1.21).
    static let namespaceNameLabel = "kubernetes.io/metadata.name"

    /// One policy isolating the selected VM pods in both directions:
    /// - ingress: from pods in the proxy namespace, on the agents' ports only, and only when there are
    ///   routes (otherwise nothing may connect: console and VNC go through virt-handler, not the pod network);
    /// - egress: DNS (UDP and TCP 53) to kube-system, and, unless the internet is off, any IPv4 address
    ///   outside the denied ranges (pod, service and node networks, metadata service).
    func isolationPolicy(name: String, namespace: String, labels: StringMap, selector: StringMap) -> NetworkPolicy {
        let ports = image.agents.map { NetworkPolicy.Port(protocol: "TCP", port: $0.port) }
        let ingress: [NetworkPolicy.IngressRule]? =
            routesWritten && !ports.isEmpty
            ? [NetworkPolicy.IngressRule(from: [.namespace([Self.namespaceNameLabel: classSettings.ingressNamespace])], ports: ports)]
            : nil
        var egress = [
            NetworkPolicy.EgressRule(
                to: [.namespace([Self.namespaceNameLabel: "kube-system"])],
                ports: [NetworkPolicy.Port(protocol: "UDP", port: 53), NetworkPolicy.Port(protocol: "TCP", port: 53)])
        ]
        if classSettings.allowInternet {
            egress.append(
                NetworkPolicy.EgressRule(
                    to: [.ipBlock(IPv4Range.everything.description, except: classSettings.deniedRanges.map(\.description))], ports: nil))
        }
        return NetworkPolicy(
            metadata: ObjectMeta(name: name, namespace: namespace, labels: labels),
            spec: .init(
                podSelector: LabelSelector(matchLabels: selector), policyTypes: ["Ingress", "Egress"], ingress: ingress, egress: egress)
        )
    }
}
