// One student's seat: namespace, quota, Secret, VM, Role and RoleBinding, clone permission, isolation, routes.
import Kube

extension ClassBuilder {
    func student(_ student: Student, credentials: LabCredentials) throws -> StudentManifests {
        let id = student.id
        let session = "\(image.name)-\(id)"
        let seatNamespace = classSettings.namespacePerStudent ? "\(namespace)-\(id)" : namespace
        let secretName = "\(session)-credentials"
        let access = "\(session)-access"
        let isolation = "\(session)-isolation"
        let clone = "\(session)-clone"
        let home = "\(session)-home"
        let snapshotName = "\(session)-snapshot"
        let restoreName = "\(session)-restore"
        let variantNames: [(kind: String, name: String)] =
            (settings.variant == .persistentHome ? [("DataVolume", home)] : [])
            + (settings.variant.keepsWork ? [("VirtualMachineSnapshot", snapshotName), ("VirtualMachineRestore", restoreName)] : [])
        try check(
            [
                ("Namespace", seatNamespace), ("VirtualMachine", session), ("Secret", secretName), ("Role", access),
                ("NetworkPolicy", isolation), ("DataVolume", "\(session)-root"), ("RoleBinding", clone),
            ] + variantNames + agentNames(session), service: session, student: student, seat: id)
        let prefix = pathPrefix(id)
        let builder = seatBuilder(session: session, vm: session, namespace: seatNamespace, pathPrefix: prefix, secret: secretName)
        var labels = builder.sessionLabels
        labels[Self.classLabel] = namespace
        labels[Self.studentLabel] = id
        func meta(_ name: String, namespace: String = seatNamespace) -> ObjectMeta {
            ObjectMeta(name: name, namespace: namespace, labels: labels)
        }

        var vm = try virtualMachine(builder, diskName: "\(session)-root")
        vm.metadata.labels = labels
        vm.spec.template.metadata.labels?[Self.classLabel] = namespace
        vm.spec.template.metadata.labels?[Self.studentLabel] = id

        let vmNames = [session]
        // In the student's own namespace their VM is the only one, so snapshots and restores there touch only it; RBAC
        // cannot restrict `create` by name, so a shared namespace gets none (``ClassBuilder/notes``).
        let snapshotRules =
            settings.variant.keepsWork && classSettings.namespacePerStudent
            ? [
                PolicyRule(
                    apiGroups: ["snapshot.kubevirt.io"], resources: ["virtualmachinesnapshots", "virtualmachinerestores"], resourceNames: nil,
                    verbs: ["get", "list", "watch", "create", "delete"])
            ] : []
        let role = Role(
            metadata: meta(access),
            rules: [
                PolicyRule(apiGroups: ["kubevirt.io"], resources: ["virtualmachines", "virtualmachineinstances"], resourceNames: vmNames, verbs: ["get"]),
                PolicyRule(
                    apiGroups: ["subresources.kubevirt.io"], resources: ["virtualmachineinstances/console", "virtualmachineinstances/vnc"],
                    resourceNames: vmNames, verbs: ["get"]),
                PolicyRule(
                    apiGroups: ["subresources.kubevirt.io"],
                    resources: ["virtualmachines/start", "virtualmachines/stop", "virtualmachines/restart"], resourceNames: vmNames,
                    verbs: ["update"]),
            ] + snapshotRules
        )
        // CDI authorizes a clone from another namespace against the target namespace's `default` ServiceAccount.
        let cloneBinding =
            settings.variant == .persistent && seatNamespace != namespace
            ? RoleBinding(
                metadata: meta(clone, namespace: namespace), roleName: cloneRoleName,
                subjects: [RoleBinding.Subject(apiGroup: nil, kind: "ServiceAccount", name: "default", namespace: seatNamespace)])
            : nil
        let namespaceObject = classSettings.namespacePerStudent
            ? Namespace(metadata: ObjectMeta(name: seatNamespace, labels: labels)) : nil
        let quota = classSettings.namespacePerStudent && !classSettings.quota.isEmpty
            ? ResourceQuota(metadata: meta("lab-quota"), hard: classSettings.quota) : nil
        let routes = self.routes(builder, seat: id, identity: student.subject.name, labels: labels)
        return StudentManifests(
            student: student, namespace: seatNamespace, namespaceObject: namespaceObject, quota: quota,
            secret: Secret(metadata: meta(secretName), stringData: credentials.secretData), virtualMachine: vm,
            homeDataVolume: settings.variant == .persistentHome ? builder.homeDataVolume(labels: labels) : nil,
            snapshot: settings.variant.keepsWork ? VirtualMachineSnapshot(metadata: meta(snapshotName), virtualMachine: session) : nil,
            restore: settings.variant.keepsWork
                ? VirtualMachineRestore(metadata: meta(restoreName), virtualMachine: session, snapshot: snapshotName) : nil,
            role: role,
            roleBinding: RoleBinding(metadata: meta(access), roleName: access, subjects: [student.subject.roleBindingSubject]),
            cloneBinding: cloneBinding,
            networkPolicy: builder.isolationPolicy(
                name: isolation, labels: labels, selector: ["app.kubernetes.io/instance": session], rule: rule, isolation: classSettings.isolation),
            service: routes.service, ingresses: routes.ingresses, httpRoute: routes.httpRoute, urls: urls(prefix: prefix)
        )
    }
}
